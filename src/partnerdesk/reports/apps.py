from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Read-only reports over tickets, client tasks, the knowledge base and satisfaction:
    figures computed by the database, each a page with a chart, a table, a CSV and an API."""

    name = "partnerdesk.reports"
    label = "reports"
    verbose_name = "Reports"
