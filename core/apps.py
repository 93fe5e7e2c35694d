from django.contrib.admin.apps import AdminConfig


class PetitionAdminConfig(AdminConfig):
    default_site = "core.admin_site.PetitionAdminSite"
