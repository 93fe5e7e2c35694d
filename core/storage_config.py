"""STORAGES and MEDIA_ROOT from the environment, for config/settings.py.

Uploaded images (petition/uploads.py) go through Django's storage API:
files under MEDIA_ROOT by default, or any storage backend (django-storages'
S3Storage for S3-compatible object storage) named by MEDIA_STORAGE, with
its options as JSON in MEDIA_STORAGE_OPTIONS (or a file: ..._FILE). Either
way the app serves them itself (petition.views.uploaded_image), so the
page's Content-Security-Policy stays "images from this site only".
"""

import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from core.env import env

FILE_SYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"


def media_root(base_dir: Path) -> Path:
    return Path(env.str("MEDIA_ROOT", default=str(base_dir / "media")))


def storages_settings() -> dict:
    backend = env.str("MEDIA_STORAGE", default=FILE_SYSTEM_STORAGE).strip()
    raw = env.str("MEDIA_STORAGE_OPTIONS", default="").strip()
    try:
        options = json.loads(raw) if raw else {}
    except ValueError as error:
        raise ImproperlyConfigured(
            f"Environment variable MEDIA_STORAGE_OPTIONS must be a JSON object: "
            f"{error}."
        ) from None
    if not isinstance(options, dict):
        raise ImproperlyConfigured(
            "Environment variable MEDIA_STORAGE_OPTIONS must be a JSON object, "
            'like {"bucket_name": "petition-media"}.'
        )
    return {
        "default": {"BACKEND": backend, "OPTIONS": options},
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
