from django.urls import path

from . import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("contacts/export.csv", portal_views.contact_export, name="contact_export"),
    path("deals/<id:pk>/", portal_views.deal_detail, name="deal_detail"),
    path("team/invite/", portal_views.invite_colleague, name="invite_colleague"),
]
