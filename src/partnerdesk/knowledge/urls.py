"""The staff's knowledge base (/app/knowledge/, see views.py)."""

from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("new/", views.article_create, name="article_create"),
    path("preview/", views.article_preview, name="article_preview"),
    path("<id:pk>/", views.article_detail, name="article_detail"),
    path("<id:pk>/edit/", views.article_edit, name="article_edit"),
    path("<id:pk>/publish/", views.article_publish, name="article_publish"),
    path("<id:pk>/unpublish/", views.article_unpublish, name="article_unpublish"),
    path("<id:pk>/delete/", views.article_delete, name="article_delete"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/<id:pk>/", views.category_edit, name="category_edit"),
    path("categories/<id:pk>/delete/", views.category_delete, name="category_delete"),
]
