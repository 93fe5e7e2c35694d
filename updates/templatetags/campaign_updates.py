"""The updates sent about a petition, for its page."""

from django import template
from django.utils.translation import get_language

from updates.public import ShownUpdate, shown_updates

register = template.Library()


@register.simple_tag
def campaign_updates(petition) -> list[ShownUpdate]:
    return shown_updates(petition.pk, get_language())
