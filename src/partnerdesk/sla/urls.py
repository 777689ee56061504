from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("", views.policy_list, name="policy_list"),
    path("pipelines/<id:pipeline_pk>/policies/new/", views.policy_edit, name="policy_create"),
    path("pipelines/<id:pipeline_pk>/policies/<id:pk>/", views.policy_edit, name="policy_edit"),
    path(
        "pipelines/<id:pipeline_pk>/policies/<id:pk>/delete/",
        views.policy_delete,
        name="policy_delete",
    ),
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/preview/", views.calendar_preview, name="calendar_preview"),
    path("calendars/<id:pk>/", views.calendar_edit, name="calendar_edit"),
]
