from django.contrib.admin.apps import AdminConfig


class PetitionAdminConfig(AdminConfig):
    default_site = "config.admin.PetitionAdminSite"
