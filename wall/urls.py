"""The wall's HTTP routes."""

from django.urls import path

from . import device_views, display, views

urlpatterns = [
    path("", views.index, name="index"),
    path("display/", display.display, name="display"),
    path("api/usernames/<str:username>", views.username_availability, name="username-availability"),
    path("api/images/", views.image_upload, name="image-upload"),
    path("api/devices/code", device_views.device_code, name="device-code"),
    path("api/devices/recovery", device_views.recovery_code, name="recovery-code"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics_export, name="metrics"),
]
