"""The petition texts organizers write in each language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from petition.images import IMAGE_FIELDS
from petition.models import (
    ORGANIZER_FIELDS,
    TEXT_FIELDS,
    Footnote,
    Petition,
    PetitionVersion,
)


@register(Petition)
class PetitionTranslation(TranslationOptions):
    fields = TEXT_FIELDS + ORGANIZER_FIELDS + IMAGE_FIELDS


@register(PetitionVersion)
class PetitionVersionTranslation(TranslationOptions):
    fields = TEXT_FIELDS


@register(Footnote)
class FootnoteTranslation(TranslationOptions):
    fields = ("text",)
