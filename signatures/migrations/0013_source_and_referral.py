import django.db.models.deletion
from django.db import migrations, models

import signatures.models


class Migration(migrations.Migration):
    dependencies = [
        ("signatures", "0012_review_reason_page_script"),
    ]

    operations = [
        migrations.AddField(
            model_name="signature",
            name="source",
            field=models.CharField(
                blank=True,
                help_text="The channel named by the link the signer came from (?source=whatsapp, ...), as first submitted.",
                max_length=40,
                verbose_name="source",
            ),
        ),
        # Added empty (NULL for every existing row: one catalogue change, no
        # table rewrite), then given its default for new rows. Older rows
        # get a code when one is first needed (signature_referral_code).
        migrations.AddField(
            model_name="signature",
            name="referral_code",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="A random public code carried by this signer's own share links.",
                max_length=12,
                null=True,
                unique=True,
                verbose_name="referral code",
            ),
        ),
        migrations.AlterField(
            model_name="signature",
            name="referral_code",
            field=models.CharField(
                blank=True,
                default=signatures.models.new_referral_code,
                editable=False,
                help_text="A random public code carried by this signer's own share links.",
                max_length=12,
                null=True,
                unique=True,
                verbose_name="referral code",
            ),
        ),
        migrations.AddField(
            model_name="signature",
            name="referred_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The signer whose share link brought this one.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="referrals",
                to="signatures.signature",
                verbose_name="referred by",
            ),
        ),
    ]
