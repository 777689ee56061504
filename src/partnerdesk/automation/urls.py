from django.urls import path

from . import views

app_name = "automation"

urlpatterns = [
    path("", views.workflow_list, name="workflow_list"),
    path("<id:pk>/", views.workflow_edit, name="workflow_edit"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<id:pk>/", views.run_detail, name="run_detail"),
    path("runs/<id:pk>/replay/", views.run_replay, name="run_replay"),
    path("integrations/", views.integrations, name="integrations"),
]
