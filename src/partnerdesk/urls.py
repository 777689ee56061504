from django.urls import include, path, register_converter
from django.views.i18n import set_language

from partnerdesk.api.api import api
from partnerdesk.automation import views as automation_views
from partnerdesk.core import views as core_views
from partnerdesk.core.converters import IdConverter

register_converter(IdConverter, "id")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("partnerdesk.accounts.urls")),
    path("app/", include("partnerdesk.dashboard.urls")),
    path("app/", include("partnerdesk.crm.urls")),
    path("app/tickets/", include("partnerdesk.tickets.urls")),
    path("app/tasks/", include("partnerdesk.portal.staff_urls")),
    path("app/partner/", include("partnerdesk.partner_program.urls")),
    path("app/reports/", include("partnerdesk.reports.urls")),
    path("app/knowledge/", include("partnerdesk.knowledge.urls")),
    path("app/settings/sla/", include("partnerdesk.sla.urls")),
    path("app/settings/customer-emails/", include("partnerdesk.tickets.notice_urls")),
    path("app/settings/automations/", include("partnerdesk.automation.urls")),
    path("app/settings/webhooks/", include("partnerdesk.webhooks.urls")),
    path("app/settings/workers/", include("partnerdesk.core.urls")),
    path("notifications/", include("partnerdesk.notifications.urls")),
    path("hooks/github/", automation_views.github_webhook, name="github_webhook"),
    path("portal/help/", include("partnerdesk.knowledge.portal_urls")),
    path("portal/tickets/", include("partnerdesk.tickets.client_urls")),
    path("portal/", include("partnerdesk.portal.urls")),
    path("csat/", include("partnerdesk.satisfaction.urls")),
    path("api/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
]

handler404 = "partnerdesk.core.views.not_found"
handler403 = "partnerdesk.core.views.forbidden"
handler500 = "partnerdesk.core.views.server_error"
