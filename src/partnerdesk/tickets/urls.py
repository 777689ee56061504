from django.urls import path

from . import views

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
]
