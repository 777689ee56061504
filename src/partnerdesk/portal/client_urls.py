"""Client task pages of the portal (see views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/queue/", views.queue_reorder, name="queue_reorder"),
    path("tasks/<id:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<id:pk>/approve/", views.task_approve, name="task_approve"),
    path("tasks/<id:pk>/changes/", views.task_request_changes, name="task_request_changes"),
    path("tasks/<id:pk>/withdraw/", views.task_withdraw, name="task_withdraw"),
    path("tasks/<id:pk>/messages/", views.task_message, name="task_message"),
    path("files/<id:pk>/", views.attachment, name="attachment"),
]
