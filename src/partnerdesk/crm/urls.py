from django.urls import path

from partnerdesk.accounts import views as account_views

from . import config_views, import_views, lookup_views, secret_views, views

app_name = "crm"

urlpatterns = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/export.csv", views.company_export, name="company_export"),
    path("companies/new/", views.company_form, name="company_create"),
    path("companies/<id:pk>/", views.company_detail, name="company_detail"),
    path("companies/<id:pk>/edit/", views.company_form, name="company_edit"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("lookup/companies/", lookup_views.company_options, name="company_options"),
    path("lookup/contacts/", lookup_views.contact_options, name="contact_options"),
    path("contacts/export.csv", views.contact_export, name="contact_export"),
    path("contacts/new/", views.contact_form, name="contact_create"),
    path("contacts/<id:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<id:pk>/edit/", views.contact_form, name="contact_edit"),
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/export.csv", views.deal_export, name="deal_export"),
    path("deals/board/", views.deal_board, name="deal_board"),
    path("deals/board/<id:pipeline_pk>/", views.deal_board, name="deal_board_pipeline"),
    path("deals/new/", views.deal_form, name="deal_create"),
    path("deals/<id:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<id:pk>/edit/", views.deal_form, name="deal_edit"),
    path("deals/<id:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<id:pk>/line-items/", views.line_item_add, name="line_item_add"),
    path(
        "deals/<id:pk>/line-items/<id:item_pk>/delete/",
        views.line_item_remove,
        name="line_item_remove",
    ),
    # a secret property of a company, contact, deal or ticket (crm.record_pages), revealed or
    # copied on the record's page
    path(
        "records/<slug:object_type>/<id:pk>/secrets/<slug:name>/",
        secret_views.secret_reveal,
        name="secret_reveal",
    ),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/<id:pk>/", import_views.import_detail, name="import_detail"),
    path("import/<id:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("settings/pipelines/", config_views.pipeline_list, name="pipeline_list"),
    path("settings/pipelines/<id:pk>/", config_views.pipeline_detail, name="pipeline_detail"),
    path("settings/stages/<id:pk>/", config_views.stage_edit, name="stage_edit"),
    path("settings/properties/", config_views.property_list, name="property_list"),
    path("settings/properties/new/", config_views.property_form, name="property_create"),
    path("settings/properties/<id:pk>/", config_views.property_form, name="property_edit"),
    path("settings/products/", config_views.product_list, name="product_list"),
    path("settings/products/new/", config_views.product_form, name="product_create"),
    path("settings/products/<id:pk>/", config_views.product_form, name="product_edit"),
    path("settings/users/", account_views.user_list, name="user_list"),
    path("settings/users/invite/", account_views.user_invite, name="user_invite"),
    path("settings/teams/", account_views.team_list, name="team_list"),
    path("settings/teams/<id:pk>/", account_views.team_edit, name="team_edit"),
    path("settings/users/<id:pk>/", account_views.user_edit, name="user_edit"),
    path(
        "settings/invitations/<id:pk>/revoke/",
        account_views.invitation_revoke,
        name="invitation_revoke",
    ),
]
