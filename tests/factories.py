import factory
from django.utils import timezone

from petition.models import Footnote, Petition
from petition.services import petition_version_record
from signatures.models import HeldSubmission, Signature


class PetitionFactory(factory.django.DjangoModelFactory[Petition]):
    class Meta:
        model = Petition

    slug = factory.Sequence(lambda n: f"petition-{n}")
    title = factory.Sequence(lambda n: f"Petition number {n}")
    addressees = "The Minister of Examples"
    body = "We ask for a better world.\n\nSecond paragraph of the petition."
    why_important = "Because it matters."
    call_to_action = "Sign now"
    goal = 500
    is_open = True
    published_at = factory.LazyFunction(timezone.now)


class FootnoteFactory(factory.django.DjangoModelFactory[Footnote]):
    class Meta:
        model = Footnote

    petition = factory.SubFactory(PetitionFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "A source for the claim"
    url = ""


class SignatureFactory(factory.django.DjangoModelFactory[Signature]):
    class Meta:
        model = Signature

    petition = factory.SubFactory(PetitionFactory)
    full_name = factory.Sequence(lambda n: f"Signer {n}")
    email = factory.Sequence(lambda n: f"signer{n}@example.org")
    email_canonical = factory.LazyAttribute(lambda s: s.email.strip().lower())
    country = "CA"
    postal_code = "K1A 0B1"
    province = "ON"
    language = "en"
    status = Signature.Status.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)
    ip_hash = "0" * 64
    petition_version = factory.LazyAttribute(
        lambda signature: petition_version_record(petition=signature.petition)
    )

    class Params:
        pending = factory.Trait(status=Signature.Status.PENDING, confirmed_at=None)


class HeldSubmissionFactory(factory.django.DjangoModelFactory[HeldSubmission]):
    """What a later submission typed for the address of `signature`."""

    class Meta:
        model = HeldSubmission
        exclude = ("signature",)

    signature = factory.SubFactory(SignatureFactory)
    petition = factory.SelfAttribute("signature.petition")
    email = factory.SelfAttribute("signature.email")
    email_canonical = factory.SelfAttribute("signature.email_canonical")
    full_name = "Typed Later"
    country = "CA"
    postal_code = "H2X 1Y4"
    province = "QC"
    language = "fr"
    ip_hash = "1" * 64
    petition_version = factory.SelfAttribute("signature.petition_version")
