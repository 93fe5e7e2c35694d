"""Django's admin app with our admin site (core/admin_site.py) as its
default: INSTALLED_APPS names this in place of django.contrib.admin. core
itself is not an app: it has no models, templates or checks of its own."""

from django.contrib.admin.apps import AdminConfig


class PetitionAdminConfig(AdminConfig):
    default_site = "core.admin_site.PetitionAdminSite"
