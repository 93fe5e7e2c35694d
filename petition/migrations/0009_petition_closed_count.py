from django.db import migrations, models


def freeze_the_count_of_closed_petitions(apps, schema_editor):
    """Petitions already closed keep the count they show today."""
    Petition = apps.get_model("petition", "Petition")
    Signature = apps.get_model("signatures", "Signature")
    for petition in Petition.objects.filter(is_open=False):
        petition.closed_count = Signature.objects.filter(
            petition=petition, status="confirmed"
        ).count()
        petition.save(update_fields=["closed_count"])


class Migration(migrations.Migration):
    dependencies = [
        ("petition", "0008_closed_at"),
        ("signatures", "0007_withdrawal_and_anonymisation"),
    ]

    operations = [
        migrations.AddField(
            model_name="petition",
            name="closed_count",
            field=models.PositiveIntegerField(
                blank=True,
                editable=False,
                help_text="The public count when the petition closed: what its "
                "page shows from then on.",
                null=True,
                verbose_name="count at closing",
            ),
        ),
        migrations.RunPython(
            freeze_the_count_of_closed_petitions, migrations.RunPython.noop
        ),
    ]
