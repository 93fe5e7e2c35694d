"""Paper batches (issue 16): signatures an organizer adds from paper, kept
with where they came from; a paper signer may have written no email
address (email_canonical null: one catalogue change, no table rewrite).
Organizers may add them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

PERMISSIONS = ["add_paperbatch", "view_paperbatch"]


def grant_organizers(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    app_config = apps.get_app_config("signatures")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Organizers"):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="signatures", codename__in=PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("petition", "0010_organizer"),
        ("signatures", "0013_source_and_referral"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="moderationaction",
            name="kind",
            field=models.CharField(
                choices=[
                    ("invalidate", "invalidated"),
                    ("restore", "restored"),
                    ("resend", "confirmation resent"),
                    ("erase", "personal data erased"),
                    ("export", "exported"),
                    ("withdraw", "withdrawn by the signer"),
                    ("anonymise", "anonymised"),
                    ("paper", "paper signatures added"),
                ],
                max_length=12,
                verbose_name="action",
            ),
        ),
        migrations.AlterField(
            model_name="signature",
            name="email_canonical",
            field=models.CharField(
                help_text="The address as compared for duplicates.",
                max_length=254,
                null=True,
                verbose_name="canonical email",
            ),
        ),
        migrations.CreateModel(
            name="PaperBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "event",
                    models.CharField(
                        help_text="Where the signatures were collected: a rally, a door-to-door day.",
                        max_length=200,
                        verbose_name="event",
                    ),
                ),
                ("collected_on", models.DateField(verbose_name="collected on")),
                (
                    "collected_by",
                    models.CharField(max_length=200, verbose_name="collected by"),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="added at"
                    ),
                ),
                ("rows", models.PositiveIntegerField(default=0, verbose_name="rows")),
                (
                    "imported",
                    models.PositiveIntegerField(
                        default=0, verbose_name="signatures added"
                    ),
                ),
                (
                    "skipped",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Rows of people who had already signed: reported, not counted.",
                        verbose_name="duplicates skipped",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="added by",
                    ),
                ),
                (
                    "petition",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="paper_batches",
                        to="petition.petition",
                        verbose_name="petition",
                    ),
                ),
            ],
            options={
                "verbose_name": "paper batch",
                "verbose_name_plural": "paper batches",
                "ordering": ["-created_at"],
            },
        ),
        migrations.AddField(
            model_name="signature",
            name="paper_batch",
            field=models.ForeignKey(
                blank=True,
                help_text="Collected on paper and added by an organizer, if so.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="signatures",
                to="signatures.paperbatch",
                verbose_name="paper batch",
            ),
        ),
        migrations.RunPython(grant_organizers, migrations.RunPython.noop),
    ]
