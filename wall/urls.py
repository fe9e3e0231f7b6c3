"""The wall's HTTP routes."""

from django.urls import path

from . import display, views

urlpatterns = [
    path("", views.index, name="index"),
    path("display/", display.display, name="display"),
    path("api/usernames/<str:username>", views.username_availability, name="username-availability"),
    path("api/images/", views.image_upload, name="image-upload"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics_export, name="metrics"),
]
