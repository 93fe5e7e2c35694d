"""The production settings, serving bench/urls.py: the app plus the hello
view under its whole middleware stack, for `bench/run.py`'s "app hello"
figure. Nothing else differs from config.settings."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
