"""DATABASES["default"] from DATABASE_URL, for config/settings.py."""

from pathlib import Path

import environ

from core.env import env_int


def database_settings(url: str, *, base_dir: Path) -> dict:
    database = environ.Env.db_url_config(url)
    database["CONN_HEALTH_CHECKS"] = True
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # A file, not memory, so the browser tests' live server thread sees
        # the same data through its own connection, as a second process would.
        database["TEST"] = {"NAME": str(base_dir / "test-db.sqlite3")}
    if database["ENGINE"] == "django.db.backends.postgresql":
        # A pool per process sized to its gunicorn threads; 0 falls back to
        # one persistent connection per thread.
        options = database.setdefault("OPTIONS", {})
        # Give up on an unreachable server quickly, so /healthz answers 503 in
        # time.
        options.setdefault(
            "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3, minimum=1)
        )
        pool_size = env_int("DATABASE_POOL_MAX_SIZE", 4)
        if pool_size:
            options["pool"] = {
                "min_size": 1,
                "max_size": pool_size,
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
            }
            database["CONN_MAX_AGE"] = 0
        else:
            database["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    return database


def make_room_for_threads(database: dict, threads: int) -> None:
    """Each email worker thread holds a connection while it sends. A web
    process never holds more than its threads, so the larger maximum costs
    it nothing."""
    if pool := database.get("OPTIONS", {}).get("pool"):
        pool["max_size"] = max(pool["max_size"], threads + 2)
