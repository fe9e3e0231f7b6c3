"""Top-level URLs: the wall, its JSON API and the moderation admin."""

from django.contrib import admin
from django.urls import include, path, re_path

from wall.views import media_file

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("wall.urls")),
    # Uploaded images, in every mode (DJANGO_DEBUG=0 too): only re-encoded images, with nosniff.
    # Behind the compose proxy, the proxy serves /media/ from the same volume instead.
    re_path(r"^media/(?P<path>.*)$", media_file, name="media"),
]
