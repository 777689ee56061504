"""The client portal (/portal/): the company's records, its tasks and consultation sessions."""

from django.urls import path

from partnerdesk.crm import portal_views

from . import booking_urls, client_urls, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/export.csv", portal_views.contact_export, name="contact_export"),
    path("deals/<id:pk>/", portal_views.deal_detail, name="deal_detail"),
    path("team/invite/", portal_views.invite_colleague, name="invite_colleague"),
    *client_urls.urlpatterns,
    *booking_urls.urlpatterns,
]
