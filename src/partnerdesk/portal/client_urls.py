"""Client task pages of the portal (see views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("tasks/<id:pk>/", views.task_detail, name="task_detail"),
]
