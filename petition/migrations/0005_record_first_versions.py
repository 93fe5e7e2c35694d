"""Give every existing petition its first recorded version."""

import hashlib
import json

from django.db import migrations


def record_first_versions(apps, schema_editor):
    Petition = apps.get_model("petition", "Petition")
    PetitionVersion = apps.get_model("petition", "PetitionVersion")
    for petition in Petition.objects.filter(current_version__isnull=True):
        snapshot = {
            "title": petition.title.strip(),
            "addressees": petition.addressees.strip(),
            "body": petition.body.strip(),
            "why_important": petition.why_important.strip(),
            "call_to_action": petition.call_to_action.strip(),
            "footnotes": [
                {"number": f.number, "text": f.text, "url": f.url}
                for f in petition.footnotes.order_by("number")
            ],
        }
        digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()
        version = PetitionVersion.objects.create(
            petition=petition, number=1, content_hash=digest, **snapshot
        )
        petition.current_version = version
        petition.save(update_fields=["current_version"])


class Migration(migrations.Migration):
    dependencies = [("petition", "0004_petitionversion_petition_current_version_and_more")]

    operations = [migrations.RunPython(record_first_versions, migrations.RunPython.noop)]
