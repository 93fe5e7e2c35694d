import factory
from django.utils import timezone

from petition.models import Footnote, Petition


class PetitionFactory(factory.django.DjangoModelFactory):
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


class FootnoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Footnote

    petition = factory.SubFactory(PetitionFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "A source for the claim"
    url = ""
