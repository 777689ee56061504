"""The staff task desk (/app/tasks/): triage across all clients, task settings."""

from django.urls import path

from . import booking_staff_urls, staff_views

app_name = "taskdesk"

urlpatterns = [
    path("", staff_views.triage, name="triage"),
    path("new/", staff_views.task_new, name="task_new"),
    path("settings/", staff_views.settings_page, name="settings"),
    path("settings/plans/<id:pk>/toggle/", staff_views.plan_toggle, name="plan_toggle"),
    path("companies/<id:pk>/plan/", staff_views.company_plan, name="company_plan"),
    path("<id:pk>/", staff_views.detail, name="detail"),
    path("<id:pk>/accept/", staff_views.accept, name="accept"),
    path("<id:pk>/decline/", staff_views.decline, name="decline"),
    path("<id:pk>/start/", staff_views.start, name="start"),
    path("<id:pk>/estimate/", staff_views.adjust_estimate, name="estimate"),
    path("<id:pk>/deliver/", staff_views.deliver, name="deliver"),
    path("<id:pk>/messages/", staff_views.message, name="message"),
    path("<id:pk>/queue/", staff_views.queue_move, name="queue_move"),
    *booking_staff_urls.urlpatterns,
]
