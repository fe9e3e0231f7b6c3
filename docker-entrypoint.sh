#!/bin/sh
# Container start: apply migrations against the configured database, then run the command (daphne by default).
set -eu
python manage.py migrate --noinput
exec "$@"
