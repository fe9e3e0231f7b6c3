"""The live machinery: the process's member of the wall's channel-layer group and its fan-out, the
per-socket writer, the registry of this process's sockets, presence, the heartbeat, socket counts
and the shared store. The domain (models, services, selectors, moderation, images) never imports it,
except through the one on-commit bridge (wall.live.bridge)."""
