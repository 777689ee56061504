from django.urls import path

from . import views

app_name = "partner_program"

urlpatterns = [
    path("", views.standing_page, name="standing"),
    path("points/", views.points_history, name="points_history"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<id:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<id:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<id:pk>/end-services/", views.end_services, name="end_services"),
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/<id:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("certifications/", views.certification_list, name="certification_list"),
    path("certifications/<id:pk>/", views.certification_edit, name="certification_edit"),
    path("accreditations/", views.accreditation_list, name="accreditation_list"),
    path("accreditations/<id:pk>/", views.accreditation_detail, name="accreditation_detail"),
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/new/", views.complaint_create, name="complaint_create"),
    path("complaints/<id:pk>/", views.complaint_detail, name="complaint_detail"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<slug:token>/", views.import_preview, name="import_preview"),
    path("settings/rates/", views.rates, name="rates"),
    path("settings/currencies/", views.currencies, name="currencies"),
    path("settings/catalogue/", views.catalogue, name="catalogue"),
    path("settings/catalogue/<id:pk>/", views.activity_type_edit, name="activity_type_edit"),
    path("settings/mappings/", views.mappings, name="mappings"),
    path("settings/mappings/<id:pk>/remove/", views.mapping_remove, name="mapping_remove"),
    path("settings/tiers/", views.tier_table, name="tier_table"),
    path("settings/tiers/<id:pk>/", views.tier_edit, name="tier_edit"),
    path(
        "settings/accreditations/",
        views.accreditation_type_list,
        name="accreditation_type_list",
    ),
    path(
        "settings/accreditations/<id:pk>/",
        views.accreditation_type_edit,
        name="accreditation_type_edit",
    ),
    path("settings/program/", views.program_settings, name="program_settings"),
]
