"""WebSocket routes."""

from django.urls import path

from .consumers import WallConsumer

websocket_urlpatterns = [path("ws/wall/", WallConsumer.as_asgi())]
