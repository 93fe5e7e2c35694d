"""Organizers run their webhooks and Action Network links, and read the
delivery log; nobody edits the log."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Organizers"
CODENAMES = [
    "add_webhookendpoint",
    "change_webhookendpoint",
    "delete_webhookendpoint",
    "view_webhookendpoint",
    "add_actionnetworktarget",
    "change_actionnetworktarget",
    "delete_actionnetworktarget",
    "view_actionnetworktarget",
    "view_delivery",
]


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    app_config = apps.get_app_config("crm")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="crm", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="crm")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("signatures", "0004_organizers_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
