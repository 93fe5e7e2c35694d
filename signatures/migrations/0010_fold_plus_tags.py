"""Stored canonical addresses at the providers whose "+tags" are now folded
(Outlook/Hotmail/Live/MSN, iCloud, Proton, Fastmail) lose their tag, so a
signer's earlier "jane+news@outlook.com" and a new "jane@outlook.com" meet, as
duplicates and in a subject-access request.

A row whose folded form another row of the same petition already holds keeps
its old form: both were stored as two signatures, and the uniqueness of
(petition, email_canonical) must hold. The domains are frozen here, as they
were when this ran; Gmail's were folded from the start.
"""

from django.db import migrations

FOLDED_DOMAINS = (
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "hotmail.ca",
    "live.ca",
    "outlook.fr",
    "hotmail.fr",
    "live.fr",
    "hotmail.co.uk",
    "live.co.uk",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "protonmail.ch",
    "fastmail.com",
    "fastmail.fm",
    "fastmail.net",
    "fastmail.org",
    "fastmail.us",
    "fastmail.co.uk",
    "fastmail.com.au",
    "fastmail.de",
    "fastmail.in",
    "fastmail.jp",
    "fastmail.se",
    "fastmail.to",
    "sent.com",
)


def fold_plus_tags(apps, schema_editor):
    Signature = apps.get_model("signatures", "Signature")
    for domain in FOLDED_DOMAINS:
        tagged = (
            Signature.objects.filter(
                email_canonical__endswith=f"@{domain}",
                email_canonical__contains="+",
            )
            .order_by("pk")
            .values_list("pk", "petition_id", "email_canonical")
        )
        for pk, petition_id, canonical in tagged.iterator(chunk_size=2000):
            local, _, _ = canonical.rpartition("@")
            folded = f"{local.split('+', 1)[0]}@{domain}"
            if folded.startswith("@"):
                continue  # "+tag@..." alone: no address to fold to
            taken = Signature.objects.filter(
                petition_id=petition_id, email_canonical=folded
            ).exists()
            if not taken:
                Signature.objects.filter(pk=pk).update(email_canonical=folded)
    # Submissions awaiting their link are matched to a signature by this form
    # too; they have no uniqueness to keep.
    HeldSubmission = apps.get_model("signatures", "HeldSubmission")
    for domain in FOLDED_DOMAINS:
        for held in HeldSubmission.objects.filter(
            email_canonical__endswith=f"@{domain}", email_canonical__contains="+"
        ).only("pk", "email_canonical"):
            local, _, _ = held.email_canonical.rpartition("@")
            if not local.startswith("+"):
                held.email_canonical = f"{local.split('+', 1)[0]}@{domain}"
                held.save(update_fields=["email_canonical"])


class Migration(migrations.Migration):
    dependencies = [
        ("signatures", "0009_public_id_and_held_submissions"),
    ]

    operations = [
        migrations.RunPython(fold_plus_tags, migrations.RunPython.noop, elidable=True),
    ]
