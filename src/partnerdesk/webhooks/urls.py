from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoint_list"),
    path("<id:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("<id:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("deliveries/<id:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<id:pk>/replay/", views.delivery_replay, name="delivery_replay"),
]
