"""ASGI entry point: HTTP through Django, WebSockets through the wall's consumer."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallsite.settings")
# Django must be set up before the routing (and so the models) is imported.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from wall.routing import websocket_urlpatterns  # noqa: E402
from wallsite.daphne_support import apply_when_running_under_daphne  # noqa: E402

apply_when_running_under_daphne()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

# What start-up made (Django, the modules, URL patterns, the app) lives as long as the process:
# frozen, no collection walks it again; and the youngest generation is collected every
# WALL_GC_THRESHOLD allocations instead of 700, as the fan-out allocates per socket. Measured in
# bench/README.md ("Garbage collection"); docs/decisions.md.
gc.freeze()
gc.set_threshold(settings.WALL_GC_THRESHOLD, *gc.get_threshold()[1:])
