"""What the admin tests share: addresses, and reading what the admin returns."""

import csv
import io

from petition.models import Petition
from tests.html_tools import parse_page

CHANGELIST = "/admin/signatures/signature/"
EXPORT = "/admin/signatures/signature/export/"


def download(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff"), "no byte-order mark for Excel"
    return list(csv.reader(io.StringIO(content[1:])))


def post_action(client, action: str, signatures, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [s.pk for s in signatures], **extra},
        follow=True,
    )


def factory_email(domain: str):
    import factory

    return factory.Sequence(lambda n: f"bot{n}@{domain}")


def table_rows(table) -> list[list[str]]:
    body = next(e for e in table.descendants() if e.tag == "tbody")
    return [
        [" ".join(cell.text.split()) for cell in row.children if cell.tag == "td"]
        for row in body.children
        if row.tag == "tr"
    ]


def change_form_data(client, petition: Petition) -> dict:
    """Everything the change form would send back, as the browser would."""
    page = parse_page(
        client.get(f"/admin/petition/petition/{petition.pk}/change/").content.decode()
    )
    data: dict = {}
    for element in page.elements:
        name = element.attrs.get("name")
        if not name or name == "csrfmiddlewaretoken":
            continue
        if element.tag == "textarea":
            data[name] = element.text.lstrip("\n")
        elif element.tag == "select":
            chosen = [
                o.attrs.get("value", "")
                for o in element.children
                if "selected" in o.attrs
            ]
            data[name] = chosen[0] if chosen else ""
        elif element.tag == "input" and element.attrs.get("type") == "checkbox":
            if "checked" in element.attrs:
                data.setdefault(name, []).append(element.attrs.get("value", "on"))
        elif element.tag == "input" and element.attrs.get("type") not in {
            "submit",
            "button",
        }:
            data[name] = element.attrs.get("value", "")
    return data
