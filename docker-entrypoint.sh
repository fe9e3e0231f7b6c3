#!/bin/sh
# Container start: apply migrations against the configured database, then run the command (uvicorn in docker-compose.yml).
set -eu
# The static volume is shared with the proxy, which serves it: refresh it from this image.
python manage.py collectstatic --noinput -v 0
# A migration on a large table may run long: no statement timeout for it (it keeps the lock timeout).
WALL_DB_STATEMENT_TIMEOUT=0 python manage.py migrate --noinput
exec "$@"
