"""Signatures point at the recorded version of the text they signed."""

import django.db.models.deletion
from django.db import migrations, models


def point_at_current_versions(apps, schema_editor):
    Signature = apps.get_model("signatures", "Signature")
    Petition = apps.get_model("petition", "Petition")
    for petition in Petition.objects.exclude(current_version__isnull=True):
        Signature.objects.filter(petition=petition).update(
            petition_version_id=petition.current_version_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("petition", "0005_record_first_versions"),
        ("signatures", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(model_name="signature", name="petition_version"),
        migrations.AddField(
            model_name="signature",
            name="petition_version",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="signatures",
                to="petition.petitionversion",
            ),
        ),
        migrations.RunPython(point_at_current_versions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="signature",
            name="petition_version",
            field=models.ForeignKey(
                help_text="The text of the petition as it stood when this person signed.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="signatures",
                to="petition.petitionversion",
                verbose_name="petition version signed",
            ),
        ),
    ]
