"""Business actions on petitions."""

import hashlib
import json

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from petition.models import Petition, PetitionVersion


def _snapshot(petition: Petition) -> dict:
    # Stripped as the admin's form strips them, so saving an unchanged text
    # gives the same fingerprint.
    return {
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


def content_hash(snapshot: dict) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()


def petition_version_record(
    *, petition: Petition, user: AbstractBaseUser | None = None
) -> PetitionVersion:
    """Keep the text as it stands now, if it changed since the last version.

    Returns the current version: the one new signatures point at.
    """
    snapshot = _snapshot(petition)
    digest = content_hash(snapshot)
    if (
        petition.current_version is not None
        and petition.current_version.content_hash == digest
    ):
        return petition.current_version
    with transaction.atomic():
        # One recorder at a time per petition: simultaneous first signers or
        # two organizers saving at once must not both number a version.
        locked = Petition.objects.select_for_update(of=("self",)).get(pk=petition.pk)
        current = locked.current_version
        if current is not None and current.content_hash == digest:
            version = current
        else:
            last = petition.versions.aggregate(last=Max("number"))["last"] or 0
            version = PetitionVersion.objects.create(
                petition=petition,
                number=last + 1,
                content_hash=digest,
                created_by=user if user is not None and user.is_authenticated else None,
                **snapshot,
            )
            Petition.objects.filter(pk=petition.pk).update(current_version=version)
    petition.current_version = version
    return version


def petition_current_version_id(petition: Petition) -> int:
    """The version a signature made now agrees to; recorded on first need."""
    if petition.current_version_id is None:
        return petition_version_record(petition=petition).pk
    return petition.current_version_id
