"""Top-level URLs: the wall, its JSON API and the moderation admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("wall.urls")),
    # Uploaded media; behind the compose proxy it is served by the proxy instead.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
