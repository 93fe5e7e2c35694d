"""Read a rendered page the way a person (or a screen reader) meets it."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

_BLOCK_TAGS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "div",
    "section",
    "br",
    "header",
    "aside",
    "td",
    "th",
    "tr",
    "dt",
    "dd",
    "caption",
    "table",
}
_SKIPPED = {"script", "style", "head", "title"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list["Element"] = field(default_factory=list)

    def descendants(self) -> list["Element"]:
        found = []
        for child in self.children:
            found.append(child)
            found.extend(child.descendants())
        return found


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.elements: list[Element] = []
        self._skip_depth = 0
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if self._open:
            self._open[-1].children.append(element)
        if tag in _SKIPPED:
            self._skip_depth += 1
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")
        if tag not in {"br", "meta", "link", "input", "img"}:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth -= 1
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data
        if not self._skip_depth:
            self.chunks.append(data)


@dataclass
class Page:
    text: str
    elements: list[Element]

    def by_id(self, element_id: str) -> Element | None:
        return next((e for e in self.elements if e.attrs.get("id") == element_id), None)

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    @property
    def visible_text(self) -> str:
        """All text with runs of white space folded to one space."""
        return " ".join(self.text.split())


def parse_page(html: str) -> Page:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return Page(text="".join(parser.chunks), elements=parser.elements)
