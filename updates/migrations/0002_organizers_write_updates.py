"""Organizers write, send and delete (drafts of) campaign updates."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Organizers"
CODENAMES = ["add_update", "change_update", "delete_update", "view_update"]


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    app_config = apps.get_app_config("updates")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="updates", codename__in=CODENAMES
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("updates", "0001_initial"),
        ("signatures", "0004_organizers_group"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
