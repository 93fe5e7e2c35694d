from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from petition.images import PetitionImages
from petition.markup import footnote_anchor, marker_anchor

if TYPE_CHECKING:
    # django-modeltranslation swaps these models' managers for its own at
    # run time, and django-stubs' plugin looks that class up: importing its
    # module here keeps it in mypy's graph, so a warm cache finds it too
    # (django-stubs issues 1023 and 839).
    import modeltranslation.manager  # noqa: F401

# The texts organizers write in each language (see petition/translation.py).
TEXT_FIELDS = ("title", "addressees", "body", "why_important", "call_to_action")
# Who stands behind the petition, also in each language; not part of the
# text signers agree to, so not kept in its versions.
ORGANIZER_FIELDS = ("organizer_name", "organizer_organization", "organizer_about")


def _default_languages() -> list[str]:
    return [settings.LANGUAGE_CODE]


@dataclass(frozen=True)
class Organizer:
    """Who started the petition, in one language, as the page shows it."""

    language: str
    name: str
    organization: str
    about: str


@dataclass(frozen=True)
class PetitionText:
    """A petition's words in one language, as the page shows them."""

    language: str
    requested_language: str
    title: str
    addressees: str
    body: str
    why_important: str
    call_to_action: str
    # None when the petition names no organizer: pages then say nothing.
    organizer: Organizer | None = None

    @property
    def is_fallback(self) -> bool:
        """The visitor's language has no reviewed text: another one is shown."""
        return self.language != self.requested_language


@dataclass(frozen=True)
class FootnoteText:
    """A footnote with its text in the language the page is shown in."""

    footnote: "Footnote"
    text: str

    @property
    def number(self) -> int:
        return self.footnote.number

    @property
    def url(self) -> str:
        return self.footnote.url

    @property
    def anchor(self) -> str:
        return self.footnote.anchor

    @property
    def first_marker_anchor(self) -> str:
        return self.footnote.first_marker_anchor


MARKDOWN_HELP = _(
    "Markdown: a blank line starts a new paragraph, **bold**, *italic*, "
    "[link text](https://example.org). HTML is shown as typed, never run. "
    "Write [1], [2], ... to point at the footnote with that number."
)


class PetitionQuerySet(models.QuerySet["Petition"]):
    def published(self, *, at: datetime | None = None) -> "PetitionQuerySet":
        """The one rule for "public": a publication time that has passed (now,
        or `at`). Petition.is_published asks the same of one loaded row."""
        return self.filter(
            published_at__isnull=False, published_at__lte=at or timezone.now()
        )

    def taking_signatures(self, *, at: datetime | None = None) -> "PetitionQuerySet":
        """Published and open: signatures, confirmations and links go only here."""
        return self.published(at=at).filter(is_open=True)

    def featured(self) -> "Petition | None":
        """The petition the home page shows: the most recently published."""
        return self.published().order_by("-published_at", "-pk").first()


PetitionManager = models.Manager.from_queryset(PetitionQuerySet)


class Petition(PetitionImages, models.Model):
    slug = models.SlugField(
        _("web address"),
        max_length=100,
        unique=True,
        help_text=_("The petition lives at /p/<web address>/."),
    )
    title = models.CharField(_("title"), max_length=200)
    addressees = models.CharField(
        _("addressed to"),
        max_length=500,
        help_text=_('Who the petition is addressed to, shown after "To:".'),
    )
    body = models.TextField(_("petition text"), help_text=MARKDOWN_HELP)
    why_important = models.TextField(
        _('"Why is this important?" section'), blank=True, help_text=MARKDOWN_HELP
    )
    call_to_action = models.CharField(
        _("call to action"),
        max_length=200,
        help_text=_("The short invitation above the signing form."),
    )
    goal = models.PositiveIntegerField(_("signature goal"), default=1000)
    requires_confirmation = models.BooleanField(
        _("signatures need email confirmation"),
        default=True,
        help_text=_(
            "Count a signature only once its signer clicks the link we email. "
            "Untick to count signatures as soon as they are made."
        ),
    )
    organizer_name = models.CharField(
        _("organizer's name"),
        max_length=200,
        blank=True,
        help_text=_(
            'Who started the petition, shown as "Started by ..." under its '
            "title and in the emails' sign-off. Leave empty to name nobody."
        ),
    )
    organizer_organization = models.CharField(
        _("organization"),
        max_length=200,
        blank=True,
        help_text=_("Optional: the group the organizer speaks for."),
    )
    organizer_email = models.EmailField(
        _("organizer's contact address"),
        blank=True,
        help_text=_("Where the organizer can be reached; not shown to the public."),
    )
    organizer_about = models.TextField(
        _("about the organizer"),
        max_length=1000,
        blank=True,
        help_text=_("A few sentences shown at the end of the page."),
    )
    published_languages = models.JSONField(
        _("languages shown to the public"),
        default=_default_languages,
        blank=True,
        help_text=_(
            "Only reviewed texts are shown. A language left out falls back to "
            "another, with a note saying so."
        ),
    )
    is_open = models.BooleanField(
        _("open for signatures"),
        default=True,
        help_text=_("Untick to close the petition; its page stays visible."),
    )
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when the petition closes; starts the retention clock."),
    )
    closed_count = models.PositiveIntegerField(
        _("count at closing"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The public count when the petition closed: what its page shows "
            "from then on."
        ),
    )
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_(
            "Leave empty to keep the petition a draft. Once this time has "
            "passed, the petition is public."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    current_version = models.ForeignKey(
        "PetitionVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("current version"),
    )

    # Annotated: django-modeltranslation swaps in a manager class made at run
    # time, which django-stubs' plugin cannot look up.
    objects: ClassVar["PetitionManager[Petition]"] = PetitionManager()

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["published_at"], name="petition_published_idx")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Personal data is anonymised a set time after closing (anonymise_closed).
        if self.is_open:
            self.closed_at = None
            self.closed_count = None
        elif self.closed_at is None:
            self.closed_at = timezone.now()
            # Frozen here, the one place a petition closes: withdrawals,
            # erasures and moderation afterwards still change the rows (privacy
            # requests must work) but no longer the figure the page states.
            # (A petition made closed has no signatures to count.)
            self.closed_count = (
                self.signatures.counted().count() if self.pk is not None else None
            )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "is_open" in update_fields:
            kwargs["update_fields"] = {*update_fields, "closed_at", "closed_count"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("petition:detail", kwargs={"slug": self.slug})

    def shown_language(self, language: str) -> str:
        """The language whose text a visitor reading `language` gets."""
        others = [code for code, _ in settings.LANGUAGES if code != language]
        for code in [language, *others]:
            if code in self.published_languages and getattr(
                self, f"title_{code}", None
            ):
                return code
        return settings.LANGUAGE_CODE

    def text(self, language: str | None = None) -> PetitionText:
        requested = language or get_language() or settings.LANGUAGE_CODE
        shown = self.shown_language(requested)
        return PetitionText(
            language=shown,
            requested_language=requested,
            **{field: getattr(self, f"{field}_{shown}") or "" for field in TEXT_FIELDS},
            organizer=self.organizer(requested),
        )

    def organizer(self, language: str) -> Organizer | None:
        """Who started the petition, in `language` where the organizer wrote
        it, else in the first language that has a name; None without one."""
        others = [code for code, _ in settings.LANGUAGES if code != language]
        for code in [language, *others]:
            name = (getattr(self, f"organizer_name_{code}", None) or "").strip()
            if name:
                return Organizer(
                    language=code,
                    name=name,
                    organization=(
                        getattr(self, f"organizer_organization_{code}", None) or ""
                    ).strip(),
                    about=(
                        getattr(self, f"organizer_about_{code}", None) or ""
                    ).strip(),
                )
        return None

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.published_at <= timezone.now()

    @property
    def is_taking_signatures(self) -> bool:
        """As PetitionQuerySet.taking_signatures, for this instance as loaded."""
        return self.is_open and self.is_published


class Footnote(models.Model):
    petition = models.ForeignKey(
        Petition,
        on_delete=models.CASCADE,
        related_name="footnotes",
        verbose_name=_("petition"),
    )
    number = models.PositiveSmallIntegerField(
        _("number"), help_text=_("Matches the [number] marker in the text.")
    )
    text = models.CharField(_("text"), max_length=500)
    url = models.URLField(
        _("link"), max_length=500, blank=True, help_text=_("Optional source address.")
    )
    if TYPE_CHECKING:
        # One per language, added by django-modeltranslation (translation.py).
        text_en: str

    class Meta:
        verbose_name = _("footnote")
        verbose_name_plural = _("footnotes")
        ordering = ["petition", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "number"], name="footnote_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="footnote_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.text}"

    def text_in(self, language: str) -> str:
        return getattr(self, f"text_{language}", "") or self.text_en or self.text

    @property
    def anchor(self) -> str:
        return footnote_anchor(self.number)

    @property
    def first_marker_anchor(self) -> str:
        return marker_anchor(self.number)


class PetitionVersion(models.Model):
    """The text of a petition as it stood when saved: what signers agreed to."""

    petition = models.ForeignKey(
        Petition,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("petition"),
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    addressees = models.CharField(_("addressed to"), max_length=500)
    body = models.TextField(_("petition text"))
    why_important = models.TextField(_('"Why is this important?" section'), blank=True)
    call_to_action = models.CharField(_("call to action"), max_length=200)
    footnotes = models.JSONField(_("footnotes"), default=list)
    content_hash = models.CharField(_("content fingerprint"), max_length=64)
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )

    class Meta:
        verbose_name = _("petition version")
        verbose_name_plural = _("petition versions")
        ordering = ["petition", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "number"], name="petition_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return _("%(title)s, version %(number)s") % {
            "title": self.title,
            "number": self.number,
        }
