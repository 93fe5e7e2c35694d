# Production image: gunicorn serving config.wsgi with config/gunicorn.py.
# gunicorn never faces the internet: a client sending its request a byte at
# a time holds one of its threads, and a handful starve the site. nginx goes
# in front (deploy/nginx.conf, Debian's nginx package or the nginx image),
# reading whole requests before passing them on; publish nginx's port, not
# this one, and set TRUSTED_PROXY_COUNT=1 and FORWARDED_ALLOW_IPS to nginx's
# address (README, "Production").
# Build:  docker build -t petition .
# Run:    docker run --env-file .env --network petition --name app petition
#         (nginx, on the same network, proxies to app:8000)
# Migrate (once per release): docker run --env-file .env petition python manage.py migrate
# Email worker (TASKS_BACKEND=database): docker run --env-file .env petition python manage.py run_worker --queue-name email,webhooks

# 3.11.10 and later carry the fix for quadratic cookie parsing
# (CVE-2024-7592); the build stops on a base image without it.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
FROM ${PYTHON_IMAGE} AS build
RUN python -c 'import sys, http.cookies as c; sys.exit(sys.version_info < (3, 11) or not hasattr(c, "_unquote_sub"))'
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first, so code changes reuse this layer.
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY . .
# Hashed, compressed static files baked into the image; the key is a throwaway
# used only for this command.
RUN pybabel compile --domain django --directory locale \
    && SECRET_KEY=collectstatic-only-not-a-secret ALLOW_CONSOLE_EMAIL=true \
       python manage.py collectstatic --noinput \
    && python -m compileall -q /app /opt/venv

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    GUNICORN_BIND=0.0.0.0:8000
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
# Uploaded images (logos, share images): the one folder the app writes to,
# a volume in compose.yaml (or set MEDIA_STORAGE for S3, README).
RUN mkdir -p /var/lib/petition/media && chown app /var/lib/petition/media
ENV MEDIA_ROOT=/var/lib/petition/media
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# Owned by root and read-only to the app user: the code cannot be rewritten
# by the process that runs it.
COPY --from=build /app /app
USER app
# To nginx on the container network; never published to the internet.
EXPOSE 8000
# The port follows GUNICORN_BIND; with PostgreSQL down, /healthz answers 503
# within DATABASE_POOL_TIMEOUT (5 s by default).
HEALTHCHECK --interval=30s --timeout=8s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('GUNICORN_BIND', ':8000').rsplit(':', 1)[1]; sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=7).status != 200)"]
CMD ["gunicorn", "-c", "python:config.gunicorn", "config.wsgi"]
