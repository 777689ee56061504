"""The help center in the client portal (/portal/help/, see portal_views.py)."""

from django.urls import path

from . import portal_views as views

app_name = "help"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("categories/<id:pk>/", views.category, name="category"),
    path("articles/<id:pk>/", views.article, name="article"),
    path("articles/<id:pk>/feedback/", views.feedback, name="feedback"),
    path("suggest/", views.suggest, name="suggest"),
    path("deflect/", views.deflect, name="deflect"),
]
