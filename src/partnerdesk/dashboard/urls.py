from django.urls import path

from . import views

app_name = "dashboard"

# The partner dashboard (managers and admins): a tab per URL, so each is bookmarkable.
P = "partner/dashboard/"

urlpatterns = [
    path("", views.staff_home, name="home"),
    path(P, views.alerts, name="alerts"),
    path(f"{P}alerts/dismiss/", views.alert_dismiss, name="alert_dismiss"),
    path(f"{P}clients/", views.clients, name="clients"),
    path(f"{P}clients/export.csv", views.clients_export, name="clients_export"),
    path(f"{P}clients/mrr/", views.mrr_history, name="mrr_history"),
    path(f"{P}clients/<id:pk>/", views.client_details, name="client_details"),
    path(f"{P}clients/<id:pk>/portal/", views.client_portal, name="client_portal"),
    path(
        f"{P}clients/<id:pk>/end-services/",
        views.client_end_services,
        name="client_end_services",
    ),
    path(f"{P}renewals/", views.renewals_to_act_on, name="renewals"),
    path(f"{P}renewals/export.csv", views.renewals_export, name="renewals_export"),
    path(f"{P}renewals/all/", views.renewals_all, name="renewals_all"),
    path(f"{P}renewals/all/export.csv", views.renewals_all_export, name="renewals_all_export"),
    path(f"{P}renewals/<id:pk>/", views.renewal_details, name="renewal_details"),
    path(f"{P}renewals/settings/", views.renewal_settings, name="renewal_settings"),
    path(f"{P}tier/", views.tier, name="tier"),
    path(f"{P}team/", views.team, name="team"),
    path(f"{P}team/<slug:role>/", views.team_edit, name="team_edit"),
]
