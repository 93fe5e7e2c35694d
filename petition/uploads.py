"""Images organizers upload (a share image per language, a logo): checked
and drawn again with Pillow before anything is stored.

Nothing of the uploaded file is kept but its pixels. Its type is read from
its first bytes (never its name or the browser's content type), its size
in bytes and pixels is checked before a pixel is decoded (a small file may
unpack to gigabytes), and it is encoded again from a new image, so no
metadata survives: no EXIF (a phone's GPS position, its owner's name), no
ICC profile (colours are converted to sRGB first), no text chunks, no
second frame. The result gets a name made of its content's hash: a changed
image is a new address, so no cache (ours, a CDN's, a link preview
robot's) keeps showing the old one.
"""

import contextlib
import hashlib
import io
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

from petition.share_image import SHARE_SIZE

# Where uploads are kept in the storage, and the one folder the media view
# serves (petition/views.py).
UPLOAD_FOLDER = "petition-images"

MAX_BYTES = 10 * 1024 * 1024
# 50 megapixels: a large camera's photo. Decoded, it is 150 MB of memory.
MAX_PIXELS = 50_000_000

# An uploaded share image is made the drawn one's size (SHARE_SIZE): the
# page states one size for either. At least half of it each way: smaller
# would be blurry once enlarged.
SHARE_IMAGE_MIN = (600, 315)
LOGO_MAX = (400, 400)
LOGO_MIN = (48, 48)

# The formats accepted, by their first bytes (and Pillow's name for each).
_SIGNATURES = [
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
]
ACCEPTED_TYPES = "image/jpeg,image/png,image/webp,image/gif"


def _sniffed(head: bytes) -> str | None:
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _named_type(head: bytes) -> str | None:
    """The name of a well-known image type we refuse, so the message can
    say which it is; None for bytes that are no image we know."""
    if head[4:12] in {b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"}:
        return "HEIC"
    if head[4:12] == b"ftypavif":
        return "AVIF"
    text = head[:256].lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "SVG"
    if head.startswith(b"BM"):
        return "BMP"
    if head[:4] in {b"II*\x00", b"MM\x00*"}:
        return "TIFF"
    return None


def _unsupported(kind: str) -> ValidationError:
    return ValidationError(
        _(
            "%(kind)s images are not accepted here. Save it as JPEG, PNG, "
            "WebP or GIF and upload it again."
        ),
        code="unsupported",
        params={"kind": kind},
    )


def _damaged() -> ValidationError:
    return ValidationError(
        _(
            "This image is damaged or incomplete and cannot be read. "
            "Save it again and upload the new file."
        ),
        code="damaged",
    )


def _opened(upload: UploadedFile) -> Image.Image:
    """The upload as an image whose header only is read, or the reason it
    is refused."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(
            _(
                "This file is %(size)s MB; an image may be at most %(limit)s "
                "MB. Save it smaller and upload it again."
            ),
            code="too_big",
            params={
                "size": number_format(upload.size / 1024 / 1024, 1),
                "limit": MAX_BYTES // 1024 // 1024,
            },
        )
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:  # a size the upload handler did not state
        raise ValidationError(_("This file is too big."), code="too_big")
    kind = _sniffed(data[:32])
    if kind is None:
        named = _named_type(data[:256])
        if named:
            raise _unsupported(named)
        raise ValidationError(
            _("This file is not an image. Upload a JPEG, PNG, WebP or GIF image."),
            code="not_an_image",
        )
    too_many = ValidationError(
        _(
            "This image has too many pixels (at most %(limit)s million). "
            "Make it smaller and upload it again."
        ),
        code="too_many_pixels",
        params={"limit": MAX_PIXELS // 1_000_000},
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except Exception:  # Pillow raises what a damaged header leads to
        raise _damaged() from None
    if image.width * image.height > MAX_PIXELS:
        raise too_many
    return image


def _too_small(image: Image.Image, minimum: tuple[int, int]) -> None:
    if image.width < minimum[0] or image.height < minimum[1]:
        raise ValidationError(
            _(
                "This image is %(width)s × %(height)s pixels; it must be at "
                "least %(min_width)s × %(min_height)s."
            ),
            code="too_small",
            params={
                "width": image.width,
                "height": image.height,
                "min_width": minimum[0],
                "min_height": minimum[1],
            },
        )


def _pixels(image: Image.Image, draft: tuple[int, int]) -> Image.Image:
    """The first frame, decoded, upright, in sRGB, with or without alpha."""
    if image.format == "JPEG":
        # Decodes at a half, quarter or eighth of the size when that is
        # still at least `draft`: a large photo costs a fraction.
        image.draft("RGB", draft)
    try:
        image.seek(0)
        image.load()
        upright = ImageOps.exif_transpose(image)
    except Exception:  # truncated or corrupt data past the header
        raise _damaged() from None
    icc = image.info.get("icc_profile")
    if icc and upright.mode in {"RGB", "RGBA", "CMYK"}:
        # A broken profile: the colours as they are.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            converted = ImageCms.profileToProfile(
                upright,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if upright.mode == "RGBA" else "RGB",
            )
            upright = converted or upright
    has_alpha = upright.mode in {"RGBA", "LA", "PA"} or (
        upright.mode == "P" and "transparency" in upright.info
    )
    try:
        return upright.convert("RGBA" if has_alpha else "RGB")
    except (ValueError, OSError):  # a mode Pillow reads but cannot convert
        raise _damaged() from None


def _fresh(image: Image.Image) -> Image.Image:
    """A new image holding only these pixels: nothing of the upload's info
    (EXIF, text, profile) can ride along to the encoder."""
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _stored(data: bytes, prefix: str, extension: str) -> ContentFile:
    digest = hashlib.sha256(data).hexdigest()[:20]
    return ContentFile(data, name=f"{prefix}-{digest}.{extension}")


def share_image_file(upload: UploadedFile, *, language: str) -> ContentFile:
    """A share image: exactly 1200 by 630, cropped to fill it (the middle of
    the image kept), as a JPEG."""
    image = _opened(upload)
    _too_small(image, SHARE_IMAGE_MIN)
    pixels = _pixels(image, SHARE_SIZE)
    if pixels.mode == "RGBA":  # link previews show no transparency: white
        background = Image.new("RGB", pixels.size, "white")
        background.paste(pixels, mask=pixels)
        pixels = background
    card = ImageOps.fit(pixels, SHARE_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    _fresh(card).save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return _stored(out.getvalue(), f"share-{language}", "jpg")


def logo_file(upload: UploadedFile) -> ContentFile:
    """A logo: at most 400 by 400, its proportions kept, as a PNG (so a
    transparent background stays transparent)."""
    image = _opened(upload)
    _too_small(image, LOGO_MIN)
    pixels = _pixels(image, LOGO_MAX)
    pixels.thumbnail(LOGO_MAX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    _fresh(pixels).save(out, format="PNG", optimize=True)
    return _stored(out.getvalue(), "logo", "png")


def upload_to(instance: object, filename: str) -> str:
    return f"{UPLOAD_FOLDER}/{filename}"
