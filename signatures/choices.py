"""Choices a signature and a held submission share (signatures/models.py,
signatures/held.py): kept apart so that either module can name them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

PROVINCES = [
    ("AB", _("Alberta")),
    ("BC", _("British Columbia")),
    ("MB", _("Manitoba")),
    ("NB", _("New Brunswick")),
    ("NL", _("Newfoundland and Labrador")),
    ("NS", _("Nova Scotia")),
    ("NT", _("Northwest Territories")),
    ("NU", _("Nunavut")),
    ("ON", _("Ontario")),
    ("PE", _("Prince Edward Island")),
    ("QC", _("Quebec")),
    ("SK", _("Saskatchewan")),
    ("YT", _("Yukon")),
]


class SubmissionReview(models.TextChoices):
    """Why a submission looked automated. It is stored, pending, rather
    than dropped: a person whose browser filled the form in an instant
    can still confirm it from their inbox."""

    TOO_FAST = "too_fast", _("too fast")
    HIDDEN_FIELD = "hidden_field", _("hidden field filled")
    TOKEN_MISSING = "token_missing", _("page script did not run")
    TOKEN_INVALID = "token_invalid", _("form token invalid")
    TOKEN_EXPIRED = "token_expired", _("form token expired")
    TOKEN_OVERUSED = "token_overused", _("form token used too often")
