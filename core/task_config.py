"""Background tasks (django-tasks) from the environment, for
config/settings.py."""

from django.core.exceptions import ImproperlyConfigured

from core.env import env_int

# "immediate" runs email tasks inside the request (the embedded default);
# "database" queues them in PostgreSQL for `manage.py run_worker` (production).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}


def stalled_after_seconds(*, email_timeout: int) -> int:
    """How long after it started a task still running has lost its worker
    (killed, out of memory, host gone): `manage.py run_worker` puts it back
    in the queue as it starts. At least ten times EMAIL_TIMEOUT, the longest
    a send can take with every step of the SMTP conversation timing out, so
    a slow send that is still under way is never sent twice."""
    seconds = env_int("TASK_STALLED_AFTER_SECONDS", 15 * 60, minimum=1)
    if seconds < 10 * email_timeout:
        raise ImproperlyConfigured(
            "Environment variable TASK_STALLED_AFTER_SECONDS must be at least ten "
            f"times EMAIL_TIMEOUT ({10 * email_timeout}), not "
            f"{seconds}: an email still being sent would be "
            "taken for stalled and sent twice."
        )
    return seconds
