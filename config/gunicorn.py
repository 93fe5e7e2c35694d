"""Gunicorn configuration: `gunicorn -c python:config.gunicorn config.wsgi`.

Every value can be overridden from the environment so one image serves a
laptop, a small VM and a bigger host alike.
"""

import gc
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(
            f"Environment variable {name} must be a whole number, not {raw!r}."
        ) from None


# The cores this process may run on (a container's CPU set, not the host's).
_cores = len(os.sched_getaffinity(0))

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threads let a worker overlap database and network waits; workers use cores.
# Each worker holds up to DATABASE_POOL_MAX_SIZE connections, so PostgreSQL
# sees at most workers x pool size; the cap keeps a big host under its
# default max_connections of 100.
workers = _int("GUNICORN_WORKERS", min(2 * _cores, 8))
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
# Restart workers now and then so a slow leak can never take the site down.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1_000)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Import the app once in the master, so a broken setting stops the start and
# workers fork with Django already loaded.
preload_app = True
# An empty value turns the access log off (the benchmark does).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
# Client addresses hashed and signed links cut out of every log line.
logger_class = "core.redaction.GunicornLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker) -> None:
    # Everything loaded before the fork (Django, the URLconf, the templates) is
    # never garbage: frozen, the collector stops walking it on every full
    # collection in every worker, and the pages holding it stay shared.
    gc.freeze()
