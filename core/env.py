"""Reading the environment strictly, for config/settings.py: a malformed
value stops the process at start with a message naming the variable. Any
variable NAME may instead be read from the file named by NAME_FILE, and
ENV_FILE names a file of variables to load first."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from environ.fileaware_mapping import FileAwareMapping

env = environ.FileAwareEnv()
# A per-instance mapping: the library's default caches file values process-wide.
env.ENVIRON = FileAwareMapping(cache=False)


def read_env_file() -> None:
    """Load the variables of the file ENV_FILE names, if any, under those
    already set. Called by the settings each time they are read."""
    if env_file := env.str("ENV_FILE", default=""):
        if not Path(env_file).is_file():
            raise ImproperlyConfigured(
                f"Environment variable ENV_FILE names {env_file!r}, which is not "
                "a file."
            )
        environ.Env.read_env(env_file, overwrite=False)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: a typo must not silently mean False."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name} must be one of true/false/1/0/yes/no/on/off, "
        f"not {raw!r}."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a whole number, not {raw!r}."
        ) from None
    if value < minimum:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be at least {minimum}, not {value}."
        )
    return value


def env_url(
    name: str, default: str, *, schemes: set[str], needs_location: bool = True
) -> str:
    value = env.str(name, default=default).strip()
    parts = urlsplit(value)
    has_location = bool(parts.netloc or parts.path.strip("/"))
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
        port_ok = True
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in schemes
        or (needs_location and not has_location)
        or not port_ok
    ):
        # The value may hold a password, so only its scheme goes in the message.
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a URL such as SCHEME://HOST/NAME "
            f"with SCHEME one of {', '.join(sorted(schemes))}; the value given "
            f"starts with {parts.scheme + '://' if parts.scheme else 'no scheme'}."
        )
    return value


def env_rate(name: str, default: str) -> str:
    """A rate limit such as 10/m or 100/h (count per second/minute/hour/day)."""
    value = env.str(name, default=default).strip()
    if not re.fullmatch(r"\d+/\d*[smhd]", value):
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a rate such as 10/m or 100/h, "
            f"not {value!r}."
        )
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """One of `choices`, in any case."""
    value = env.str(name, default=default).strip()
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(
        f"Environment variable {name} must be one of {', '.join(choices)}, "
        f"not {value!r}."
    )


def env_list(name: str, default: list[str]) -> list[str]:
    return [item.strip() for item in env.list(name, default=default) if item.strip()]


def env_hosts(name: str, default: list[str]) -> list[str]:
    """Host names, at least one."""
    hosts = env_list(name, default)
    if not hosts:
        raise ImproperlyConfigured(
            f"Environment variable {name} is empty: every request would be "
            "refused. List the site's host names, comma separated."
        )
    return hosts


def env_origins(name: str) -> list[str]:
    """Origins such as https://petition.example.org, scheme included."""
    origins = env_list(name, [])
    for origin in origins:
        if (
            urlsplit(origin).scheme not in {"http", "https"}
            or not urlsplit(origin).netloc
        ):
            raise ImproperlyConfigured(
                f"Environment variable {name} must list origins with a "
                f"scheme, such as https://petition.example.org; got {origin!r}."
            )
    return origins


def env_secret_key(*, debug: bool) -> str:
    """SECRET_KEY, which also keys every IP address hash (core/net.py)."""
    key = env.str("SECRET_KEY", default="").strip()
    if key:
        return key
    if not debug:
        raise ImproperlyConfigured(
            "Environment variable SECRET_KEY must be set when DEBUG is off "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    return "insecure-development-key-only-used-with-DEBUG-on"


def env_digits(name: str) -> str:
    """Digits only, or nothing (an id such as a Facebook app's)."""
    value = env.str(name, default="")
    if value and not value.isdigit():
        raise ImproperlyConfigured(
            f"Environment variable {name} must be digits; got {value!r}."
        )
    return value


def env_path(name: str, default: str) -> str:
    """A path under the site's root, such as 'admin/'."""
    value = env.str(name, default=default)
    if not value.endswith("/") or value.startswith("/"):
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a path like 'admin/' or "
            f"'organizers/': no leading slash, one trailing slash; got {value!r}."
        )
    return value
