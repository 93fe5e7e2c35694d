"""The images organizers upload for a petition: a logo, and a share image
per language (petition/translation.py). Checked and drawn again by
petition/uploads.py before they are stored; the admin's form runs it
(PetitionForm), and nothing else writes them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from petition.uploads import upload_to

# The image a link preview shows is one per language (it may hold words);
# the logo is one for all languages, as an organization's mark usually is.
IMAGE_FIELDS = ("share_image",)


def image_columns() -> list[str]:
    """Every column that names an uploaded image, each language's included."""
    return ["organizer_logo", "share_image"] + [
        f"share_image_{code}" for code, _name in settings.LANGUAGES
    ]


class PetitionImages(models.Model):
    organizer_logo = models.ImageField(
        _("organizer's logo"),
        upload_to=upload_to,
        # Kept with the row, so the page states the logo's size (no shift as
        # it loads) without reading the file.
        width_field="organizer_logo_width",
        height_field="organizer_logo_height",
        blank=True,
        help_text=_(
            'Optional: shown beside "Started by ...". JPEG, PNG, WebP or GIF, '
            "at most 10 MB, at least 48 × 48 pixels; made at most 400 × 400 "
            "pixels, its proportions and a transparent background kept."
        ),
    )
    organizer_logo_width = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False
    )
    organizer_logo_height = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False
    )
    share_image = models.FileField(
        _("share image"),
        upload_to=upload_to,
        blank=True,
        help_text=_(
            "Optional: the picture a link to the petition shows on social "
            "networks and in chat apps, in this language. JPEG, PNG, WebP or "
            "GIF, at most 10 MB, at least 600 × 315 pixels; cropped to "
            "1200 × 630 around its middle, and its metadata (such as where a "
            "photo was taken) removed. Without one, a picture with the title "
            "and the count is drawn."
        ),
    )

    class Meta:
        abstract = True

    def image_names(self) -> set[str]:
        """The names in storage of every image this petition shows."""
        return {
            image.name
            for field in image_columns()
            if (image := getattr(self, field, None))
        }

    def uploaded_share_image(self, language: str) -> str:
        """The name in storage of the share image uploaded for `language`,
        or "" (the drawn one is shown then)."""
        uploaded = getattr(self, f"share_image_{language}", None)
        return uploaded.name if uploaded else ""
