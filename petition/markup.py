"""Organizer-written Markdown to safe HTML, with footnote markers linked.

Raw HTML in the source is escaped, never passed through, and images are off
(they would load from hosts we do not control). A marker such as ``[2]`` whose
number has a footnote becomes a link to it; the page links each footnote back
to its first marker.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

FOOTNOTE_MARKER = re.compile(r"\[([1-9]\d{0,2})\]")
# The page has its own h1 (the title) and h2 sections; organizer headings
# start below them so the outline stays in order.
TOP_HEADING_LEVEL = 3


def footnote_anchor(number: int) -> str:
    return f"fn-{number}"


def marker_anchor(number: int, occurrence: int = 1) -> str:
    return f"fnref-{number}" if occurrence == 1 else f"fnref-{number}-{occurrence}"


def _split_text_token(token: Token, state: StateCore) -> list[Token]:
    known: frozenset[int] = state.env["footnote_numbers"]
    seen: dict[int, int] = state.env["footnote_refs"]
    pieces: list[Token] = []
    position = 0
    for match in FOOTNOTE_MARKER.finditer(token.content):
        number = int(match.group(1))
        if number not in known:
            continue
        if match.start() > position:
            pieces.append(_text(token.content[position : match.start()]))
        seen[number] = seen.get(number, 0) + 1
        ref = Token("footnote_ref", "", 0)
        ref.meta = {"number": number, "occurrence": seen[number]}
        pieces.append(ref)
        position = match.end()
    if not pieces:
        return [token]
    if position < len(token.content):
        pieces.append(_text(token.content[position:]))
    return pieces


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _link_footnote_markers(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        link_depth = 0
        for child in block.children:
            if child.type == "link_open":
                link_depth += 1
            elif child.type == "link_close":
                link_depth -= 1
            if child.type == "text" and link_depth == 0:
                children.extend(_split_text_token(child, state))
            else:
                children.append(child)
        block.children = children


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    number = tokens[idx].meta["number"]
    occurrence = tokens[idx].meta["occurrence"]
    label = escape(_("Footnote %(number)s") % {"number": number})
    return (
        f'<sup class="footnote-ref"><a href="#{footnote_anchor(number)}" '
        f'id="{marker_anchor(number, occurrence)}" aria-label="{label}">'
        f"[{number}]</a></sup>"
    )


def _demote_heading(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    level = min(6, int(token.tag[1]) + TOP_HEADING_LEVEL - 1)
    token.tag = f"h{level}"
    return self.renderToken(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    # No images (they would load from hosts we do not control) and no
    # reference definitions (a "[1]: url" line would hijack footnote markers).
    md.disable(["image", "reference"])
    md.core.ruler.push("footnote_markers", _link_footnote_markers)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("heading_open", _demote_heading)
    md.add_render_rule("heading_close", _demote_heading)
    return md


_MARKDOWN = _parser()


@dataclass(frozen=True)
class RenderedCampaign:
    body: SafeString
    why_important: SafeString
    referenced_footnotes: frozenset[int]


def render_campaign(
    body: str, why_important: str, footnote_numbers: frozenset[int]
) -> RenderedCampaign:
    """Render both sections with one marker count, so every id is unique.

    Cached per process by content and language: an unchanged text is parsed
    once, and an edited one is a new key.
    """
    return _render_campaign(body, why_important, footnote_numbers, get_language())


@lru_cache(maxsize=128)
def _render_campaign(
    body: str, why_important: str, footnote_numbers: frozenset[int], language: str
) -> RenderedCampaign:
    env = {"footnote_numbers": footnote_numbers, "footnote_refs": {}}
    body_html = _MARKDOWN.render(body, env)
    why_html = _MARKDOWN.render(why_important, env)
    # markdown-it escapes all source text and drops raw HTML (html=False).
    return RenderedCampaign(
        body=mark_safe(body_html),  # noqa: S308
        why_important=mark_safe(why_html),  # noqa: S308
        referenced_footnotes=frozenset(env["footnote_refs"]),
    )


@lru_cache(maxsize=128)
def plain_summary(markdown_text: str, max_chars: int = 200) -> str:
    """The first paragraph as plain (unescaped) text, for link previews."""
    env: dict[str, Any] = {"footnote_numbers": frozenset(), "footnote_refs": {}}
    for token in _MARKDOWN.parse(markdown_text, env):
        if token.type == "inline" and token.children:
            text = "".join(
                child.content if child.type in {"text", "code_inline"} else " "
                for child in token.children
                if child.type in {"text", "code_inline", "softbreak", "hardbreak"}
            )
            text = " ".join(text.split())
            if len(text) > max_chars:
                text = text[: max_chars - 1].rsplit(" ", 1)[0] + "…"
            return text
    return ""
