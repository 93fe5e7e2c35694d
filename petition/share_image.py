"""Images drawn by the server with Pillow: the share image a link preview
shows (title and live count, per petition and language) and the site's
icons (favicon.ico, apple-touch-icon, the manifest's icons).

Drawn from code rather than committed as files, so no generated file lives
in the repository and the icons follow the one drawing below. The font is
DejaVu Sans Bold, kept in the repository (petition/fonts/, with its
licence, from Debian's fonts-dejavu-core): the app depends on no font of the
system it runs on, and French is drawn with its accents and dashes (the
font Pillow ships has neither). A character the font still lacks (an emoji,
say) is drawn without its accent, or left out, rather than as an empty box.
"""

import io
import unicodedata
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# The site's colours (static/css/site.css: --brand, --paper, --focus, --accent).
BRAND = "#14324a"
PAPER = "#ffffff"
FOCUS = "#ffbf47"
ACCENT = "#b02a1e"

SHARE_SIZE = (1200, 630)
_MARGIN = 72
_TITLE_LINES = 3


_FONT = Path(__file__).resolve().parent / "fonts" / "DejaVuSans-Bold.ttf"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_FONT, size)


@cache
def _missing_glyph() -> object:
    return _font(40).getmask("\uffff").getbbox()


@cache
def _drawable(char: str) -> str:
    """`char`, or what stands for it when the font has no glyph for it."""
    if char.isspace() or _font(40).getmask(char).getbbox() != _missing_glyph():
        return char
    if unicodedata.category(char) == "Pd":
        return "-"
    base = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    return base if base != char else ""


def drawable(text: str) -> str:
    return "".join(_drawable(char) for char in text)


def _wrap(text: str, font, width: int, lines: int) -> list[str]:
    """`text` in at most `lines` lines no wider than `width`; what does not
    fit ends the last line with an ellipsis."""
    words = text.split()
    wrapped: list[str] = []
    line = ""
    for index, word in enumerate(words):
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width or not line:
            line = candidate
            continue
        wrapped.append(line)
        line = word
        if len(wrapped) == lines:
            line = ""
            rest = " ".join(words[index:])
            wrapped[-1] = _ellipsis(f"{wrapped[-1]} {rest}", font, width)
            break
    if line:
        wrapped.append(line)
    # A single word wider than the image is cut too.
    return [_ellipsis(text, font, width) for text in wrapped]


def _ellipsis(text: str, font, width: int) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def share_png(*, title: str, count_line: str, percent: int, site_name: str) -> bytes:
    """The 1200 by 630 card: the site's name, the title, the count and a
    progress bar, on the site's brand colour."""
    title, count_line, site_name = map(drawable, (title, count_line, site_name))
    image = Image.new("RGB", SHARE_SIZE, BRAND)
    draw = ImageDraw.Draw(image)
    width, height = SHARE_SIZE
    inner = width - 2 * _MARGIN

    draw.rectangle((0, 0, width, 12), fill=ACCENT)
    draw.text(
        (_MARGIN, 56),
        _ellipsis(site_name, _font(34), inner),
        font=_font(34),
        fill=FOCUS,
    )

    title_font = _font(64)
    y = 130
    for line in _wrap(title, title_font, inner, _TITLE_LINES):
        draw.text((_MARGIN, y), line, font=title_font, fill=PAPER)
        y += 80

    draw.text(
        (_MARGIN, height - 170),
        _ellipsis(count_line, _font(48), inner),
        font=_font(48),
        fill=FOCUS,
    )
    bar_top, bar_bottom = height - 90, height - 62
    draw.rounded_rectangle(
        (_MARGIN, bar_top, width - _MARGIN, bar_bottom), 14, fill=PAPER
    )
    filled = _MARGIN + round(inner * max(0, min(100, percent)) / 100)
    if filled > _MARGIN + 28:
        draw.rounded_rectangle((_MARGIN, bar_top, filled, bar_bottom), 14, fill=FOCUS)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _icon(size: int) -> Image.Image:
    """static/img/favicon.svg drawn at `size`: a white tick on the brand
    colour, in a square with rounded corners."""
    scale = size / 32
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), round(6 * scale), fill=BRAND)
    points = [
        (9 * scale, 16.5 * scale),
        (13.5 * scale, 21 * scale),
        (23 * scale, 11 * scale),
    ]
    draw.line(points, fill=PAPER, width=max(1, round(3.5 * scale)), joint="curve")
    return image


@cache
def icon_png(size: int) -> bytes:
    """The icon as a PNG; an iOS home screen icon is opaque (no rounded
    corners of our own: iOS rounds them)."""
    image = _icon(size)
    if size >= 180:
        opaque = Image.new("RGB", image.size, BRAND)
        opaque.paste(image, mask=image)
        image = opaque
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@cache
def favicon_ico() -> bytes:
    out = io.BytesIO()
    _icon(64).save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()
