from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "partnerdesk.api"
    label = "api"
