"""The benchmark's yardstick: bare Django, one view, no middleware, no app,
no database (`bench/run.py` serves it with gunicorn's 4 sync workers)."""
