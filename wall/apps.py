"""App configuration for the wall."""

from django.apps import AppConfig


class WallConfig(AppConfig):
    name = "wall"
    verbose_name = "The wall"
