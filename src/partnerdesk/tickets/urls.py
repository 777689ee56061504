from django.urls import path

from . import email_views, views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("board/", views.ticket_board, name="board"),
    path("board/<id:pipeline_pk>/", views.ticket_board, name="board_pipeline"),
    path("new/", views.ticket_new, name="new"),
    path("new/<id:stage_pk>/", views.ticket_create, name="create"),
    path("views/", views.saved_view_create, name="view_create"),
    path("views/<id:pk>/delete/", views.saved_view_delete, name="view_delete"),
    path("<id:pk>/", views.ticket_detail, name="detail"),
    path("<id:pk>/edit/", views.ticket_edit, name="edit"),
    path("<id:pk>/move/", views.ticket_move, name="move"),
    path("<id:pk>/notes/", views.ticket_note, name="note"),
    # tickets by email: files, the unknown-sender queue, support mailboxes
    path("attachments/<id:pk>/", email_views.attachment, name="attachment"),
    path("held/", email_views.held_list, name="held_list"),
    path("held/<id:pk>/accept/", email_views.held_accept, name="held_accept"),
    path("held/<id:pk>/discard/", email_views.held_discard, name="held_discard"),
    path("settings/mailboxes/", email_views.mailbox_list, name="mailbox_list"),
    path("settings/mailboxes/new/", email_views.mailbox_form, name="mailbox_create"),
    path("settings/mailboxes/<id:pk>/", email_views.mailbox_form, name="mailbox_edit"),
]
