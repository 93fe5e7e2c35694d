"""The settings module, read with a given environment, as at process start."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = ROOT / "config" / "settings.py"

PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "petition.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://petition.example.org",
    "DATABASE_URL": "postgres://petition:secret@db.internal:5432/petition",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "SITE_URL": "https://petition.example.org",
}

# Variables the tests' own environment sets, which would leak into a reading.
_CONFIG_VARIABLES = [
    "DEBUG",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "ENV_FILE",
    "LOG_LEVEL",
    "TASKS_BACKEND",
    "SITE_URL",
    "ALLOW_CONSOLE_EMAIL",
    "EMAIL_PROVIDER",
    "EMAIL_WEBHOOK_SECRET",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
]


@pytest.fixture
def read_settings(monkeypatch):
    def read(**variables: str) -> dict:
        for name in _CONFIG_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return read


def test_no_environment_runs_embedded_with_debug_off(read_settings):
    config = read_settings(SECRET_KEY="x" * 50, ALLOW_CONSOLE_EMAIL="true")

    assert config["DEBUG"] is False
    assert config["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert config["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_debug_mode_needs_no_secret(read_settings):
    config = read_settings(DEBUG="true")

    assert config["DEBUG"] is True
    assert config["SECRET_KEY"]


def test_production_environment_configures_postgres_redis_and_smtp(read_settings):
    config = read_settings(**PRODUCTION_ENV)

    database = config["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"] == "db.internal"
    # Room for each of an email worker's threads (a web process never uses
    # more than its own threads).
    assert database["OPTIONS"]["pool"]["max_size"] == config["EMAIL_WORKER_THREADS"] + 2
    assert database["CONN_MAX_AGE"] == 0  # the pool keeps the connections
    assert database["OPTIONS"]["connect_timeout"] == 3
    assert config["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert config["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/0"
    assert config["EMAIL_HOST"] == "smtp.example.org"
    assert config["EMAIL_USE_TLS"] is True
    assert config["ALLOWED_HOSTS"] == ["petition.example.org"]
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["CSRF_COOKIE_SECURE"] is True
    assert config["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert config["SECURE_SSL_REDIRECT"] is True
    # Binding every subdomain, or the browsers' preload list, is opt-in.
    assert config["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert config["SECURE_HSTS_PRELOAD"] is False
    assert config["TASKS"]["default"]["BACKEND"].endswith("ImmediateBackend")


def test_production_can_queue_email_in_the_database(read_settings):
    config = read_settings(**PRODUCTION_ENV, TASKS_BACKEND="database")

    assert config["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def test_pool_can_be_swapped_for_persistent_connections(read_settings):
    config = read_settings(**PRODUCTION_ENV, DATABASE_POOL_MAX_SIZE="0")

    database = config["DATABASES"]["default"]
    assert "pool" not in database.get("OPTIONS", {})
    assert database["CONN_MAX_AGE"] == 60


def test_secret_can_come_from_a_file(read_settings, tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("key-from-a-mounted-secret-" + "y" * 40)

    config = read_settings(SECRET_KEY_FILE=str(secret_file), ALLOW_CONSOLE_EMAIL="true")

    assert config["SECRET_KEY"] == "key-from-a-mounted-secret-" + "y" * 40


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://user:hunter2@db/petition"),
        ("DATABASE_URL", "postgres://"),
        ("REDIS_URL", "http://cache:6379"),
        ("EMAIL_URL", "pop3://mail.example.org"),
        ("DATABASE_POOL_MAX_SIZE", "lots"),
        ("DATABASE_POOL_MAX_SIZE", "-1"),
        ("CSRF_TRUSTED_ORIGINS", "petition.example.org"),
        ("ADMIN_URL", "/admin"),
        ("SECURE_HSTS_SECONDS", "one year"),
        ("DATABASE_URL", "postgres://user:hunter2@db:port/petition"),
        ("EMAIL_URL", "smtp://user:hunter2@mail:twenty-five"),
        ("REDIS_URL", "redis://cache:six/0"),
        ("ALLOWED_HOSTS", " , "),
        ("ENV_FILE", "/nonexistent/.env"),
        ("CSRF_TRUSTED_ORIGINS", "https://"),
        ("LOG_LEVEL", "verbose"),
        ("TASKS_BACKEND", "celery"),
        ("SIGN_RATE_PER_MINUTE", "ten a minute"),
        ("SITE_URL", "petition.example.org"),
        ("FACEBOOK_APP_ID", "my-petition-app"),
        # Below ten times EMAIL_TIMEOUT: a slow send could be sent twice.
        ("TASK_STALLED_AFTER_SECONDS", "60"),
    ],
)
def test_malformed_value_fails_loudly_naming_the_variable(read_settings, name, value):
    with pytest.raises(ImproperlyConfigured, match=name) as failure:
        read_settings(**{**PRODUCTION_ENV, name: value})

    assert "hunter2" not in str(failure.value)


def test_missing_secret_key_in_production_fails_loudly(read_settings):
    without_secret = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        read_settings(**without_secret)


def _manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _CONFIG_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_process_with_a_malformed_value_refuses_to_start():
    result = _manage("check", **PRODUCTION_ENV, DEBUG="ture")

    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_when_emails_would_link_to_localhost():
    without_site_url = {k: v for k, v in PRODUCTION_ENV.items() if k != "SITE_URL"}

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **without_site_url)

    assert result.returncode != 0
    assert "signatures.W002" in result.stderr + result.stdout


@pytest.mark.parametrize(
    "email_url",
    [None, "consolemail://", "dummymail://", "memorymail://", "filemail:///tmp/mail"],
)
def test_production_without_a_mail_server_refuses_to_start(read_settings, email_url):
    environment = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}
    if email_url:
        environment["EMAIL_URL"] = email_url

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        read_settings(**environment)
    assert _manage("check", **environment).returncode != 0


def test_console_email_in_production_must_be_asked_for_and_is_warned_about():
    environment = {
        **PRODUCTION_ENV,
        "EMAIL_URL": "consolemail://",
        "ALLOW_CONSOLE_EMAIL": "true",
    }

    check = _manage("check", **environment)
    deploy = _manage("check", "--deploy", "--fail-level", "WARNING", **environment)

    assert check.returncode == 0, check.stderr
    assert deploy.returncode != 0
    assert "signatures.W003" in deploy.stderr + deploy.stdout


def test_debug_mode_prints_email_without_being_asked(read_settings):
    config = read_settings(DEBUG="true")

    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


# --- Email providers (django-anymail) ------------------------------------------------

POSTMARK_ENV = {
    **{k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"},
    "EMAIL_PROVIDER": "postmark",
    "POSTMARK_SERVER_TOKEN": "hunter2-postmark-server-token",
    "EMAIL_WEBHOOK_SECRET": "hook:" + secrets.token_urlsafe(24),
}


def test_an_email_provider_is_chosen_by_the_environment(read_settings):
    config = read_settings(**POSTMARK_ENV)

    assert config["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert config["ANYMAIL"] == {
        "POSTMARK_SERVER_TOKEN": "hunter2-postmark-server-token",
        "WEBHOOK_SECRET": POSTMARK_ENV["EMAIL_WEBHOOK_SECRET"],
        # No longer than an SMTP command may take.
        "REQUESTS_TIMEOUT": 10,
    }


def test_a_providers_key_can_come_from_a_file(read_settings, tmp_path):
    token_file = tmp_path / "postmark_token"
    token_file.write_text("token-from-a-mounted-secret\n")
    environment = {
        k: v for k, v in POSTMARK_ENV.items() if k != "POSTMARK_SERVER_TOKEN"
    }

    config = read_settings(**environment, POSTMARK_SERVER_TOKEN_FILE=str(token_file))

    assert config["ANYMAIL"]["POSTMARK_SERVER_TOKEN"] == "token-from-a-mounted-secret"


def test_amazon_ses_takes_its_region_and_keys_for_boto3(read_settings):
    environment = {
        k: v for k, v in POSTMARK_ENV.items() if k != "POSTMARK_SERVER_TOKEN"
    }

    config = read_settings(
        **{**environment, "EMAIL_PROVIDER": "amazon_ses"},
        AWS_REGION="ca-central-1",
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="hunter2-aws",
    )

    assert config["EMAIL_BACKEND"] == "anymail.backends.amazon_ses.EmailBackend"
    assert config["ANYMAIL"]["AMAZON_SES_CLIENT_PARAMS"] == {
        "region_name": "ca-central-1",
        "aws_access_key_id": "AKIDEXAMPLE",
        "aws_secret_access_key": "hunter2-aws",
        "config": {"connect_timeout": 10, "read_timeout": 10},
    }


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"POSTMARK_SERVER_TOKEN": ""}, "POSTMARK_SERVER_TOKEN"),
        ({"EMAIL_WEBHOOK_SECRET": ""}, "EMAIL_WEBHOOK_SECRET"),
        # Basic auth always has a name and a password: this one could
        # never match, and every bounce report would be refused.
        ({"EMAIL_WEBHOOK_SECRET": "hunter2"}, "EMAIL_WEBHOOK_SECRET"),
        ({"EMAIL_PROVIDER": "pigeon"}, "EMAIL_PROVIDER"),
        (
            {"EMAIL_PROVIDER": "mailgun", "MAILGUN_API_KEY": "hunter2-mailgun"},
            "MAILGUN_WEBHOOK_SIGNING_KEY",
        ),
        ({"EMAIL_PROVIDER": "amazon_ses"}, "AWS_REGION"),
        (
            {
                "EMAIL_PROVIDER": "amazon_ses",
                "AWS_REGION": "ca-central-1",
                "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            },
            "AWS_SECRET_ACCESS_KEY",
        ),
        # One of the two would be silently ignored.
        ({"EMAIL_URL": "smtp+tls://mailer:hunter2@smtp.example.org:587"}, "EMAIL_URL"),
    ],
)
def test_a_provider_missing_what_it_needs_stops_the_process(
    read_settings, changes, named
):
    environment = {**POSTMARK_ENV, **changes}

    with pytest.raises(ImproperlyConfigured, match=named) as failure:
        read_settings(**{k: v for k, v in environment.items() if v})

    assert "hunter2" not in str(failure.value)


def test_deploy_check_is_clean_with_an_email_provider():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **POSTMARK_ENV)

    assert result.returncode == 0, result.stderr


def test_a_process_naming_a_provider_without_its_key_refuses_to_start():
    environment = {
        k: v for k, v in POSTMARK_ENV.items() if k != "POSTMARK_SERVER_TOKEN"
    }

    result = _manage("check", **environment)

    assert result.returncode != 0
    assert "POSTMARK_SERVER_TOKEN" in result.stderr


def test_uploaded_images_are_kept_under_media_root_unless_a_storage_is_named(
    read_settings, monkeypatch
):
    for name in ("MEDIA_ROOT", "MEDIA_STORAGE", "MEDIA_STORAGE_OPTIONS"):
        monkeypatch.delenv(name, raising=False)
    config = read_settings(DEBUG="true")
    assert config["MEDIA_ROOT"] == ROOT / "media"
    assert config["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")

    config = read_settings(
        DEBUG="true",
        MEDIA_STORAGE="storages.backends.s3.S3Storage",
        MEDIA_STORAGE_OPTIONS='{"bucket_name": "petition-media", '
        '"endpoint_url": "https://s3.example.org"}',
    )
    assert config["STORAGES"]["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "petition-media",
            "endpoint_url": "https://s3.example.org",
        },
    }
    assert config["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


@pytest.mark.parametrize("options", ["{bucket_name: x}", '["petition-media"]'])
def test_malformed_storage_options_stop_the_process_naming_the_variable(
    read_settings, options
):
    with pytest.raises(ImproperlyConfigured, match="MEDIA_STORAGE_OPTIONS"):
        read_settings(DEBUG="true", MEDIA_STORAGE_OPTIONS=options)
