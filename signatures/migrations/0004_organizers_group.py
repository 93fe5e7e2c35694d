"""The "Organizers" group: edit petitions; review, clean and export signatures;
never manage users."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Organizers"
PERMISSIONS = {
    "petition": [
        "add_petition",
        "change_petition",
        "view_petition",
        "add_footnote",
        "change_footnote",
        "delete_footnote",
        "view_footnote",
        "view_petitionversion",
    ],
    "signatures": [
        "view_signature",
        "change_signature",
        "delete_signature",
        "export_signature",
        "view_moderationaction",
    ],
}


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_label in PERMISSIONS:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codenames in PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("petition", "0005_record_first_versions"),
        ("signatures", "0003_moderation"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
