# The wall's image: uvicorn serving wallsite.asgi. Migrations run when the container starts, never here.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Settings refuse to load without a secret when DEBUG is off: a throwaway one, for this line only.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home-dir /app --shell /usr/sbin/nologin wall \
    && mkdir -p /app/media \
    && chown -R wall:wall /app/media /app/staticfiles

USER wall
EXPOSE 8000

ENTRYPOINT ["sh", "/app/docker-entrypoint.sh"]
# uvicorn with websockets-sansio and uvloop: by measurement 2-3x daphne's fan-out (bench/README.md).
# Behind the compose proxy it trusts X-Forwarded-For from any address: only the proxy can reach it.
CMD ["uvicorn", "wallsite.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--ws", "websockets-sansio", "--loop", "uvloop", "--http", "httptools", "--ws-max-size", "1048576", \
     "--proxy-headers", "--forwarded-allow-ips", "*", "--no-server-header"]
