"""Action Network's record-signature helper, as its documentation describes
it (https://actionnetwork.org/docs/v2/record_signature_helper), on a free
loopback port: a request in any other shape is refused with a 400, as the
real API refuses it."""

import json
import re
from email.message import Message

from tests.backing_services import LoopbackHTTP, json_answer

PATH = re.compile(r"^/api/v2/petitions/(?P<petition>[A-Za-z0-9-]+)/signatures/?$")


def shape_problems(body: dict) -> list[str]:
    """What the documented shape of a record-signature POST finds wrong."""
    problems = []
    person = body.get("person")
    if not isinstance(person, dict):
        return ["no person"]
    for field in ("given_name", "family_name"):
        if not isinstance(person.get(field), str):
            problems.append(f"person.{field} is not a string")
    emails = person.get("email_addresses")
    if not (
        isinstance(emails, list)
        and emails
        and all(isinstance(e, dict) and "@" in e.get("address", "") for e in emails)
    ):
        problems.append("person.email_addresses is not a list of {address}")
    postal = person.get("postal_addresses")
    allowed = {"postal_code", "region", "country", "locality", "address_lines"}
    if not (
        isinstance(postal, list)
        and all(isinstance(p, dict) and set(p) <= allowed for p in postal)
    ):
        problems.append("person.postal_addresses is not a list of addresses")
    languages = person.get("languages_spoken", [])
    if not (isinstance(languages, list) and all(len(code) == 2 for code in languages)):
        problems.append("person.languages_spoken is not a list of ISO 639-1 codes")
    tags = body.get("add_tags", [])
    if not (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)):
        problems.append("add_tags is not a list of strings")
    unknown = set(body) - {"person", "add_tags", "identifiers", "comments", "triggers"}
    if unknown:
        problems.append(f"unknown fields {sorted(unknown)}")
    return problems


class ActionNetworkAPI(LoopbackHTTP):
    def __init__(self, api_key: str = "an-api-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.failing = False
        self.recorded: list[tuple[str, dict]] = []
        self.refused: list[str] = []

    @property
    def url(self) -> str:
        return f"{self.origin}/api/v2/"

    def answer_post(
        self, path: str, headers: Message, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        status, answer = self.answer(path, dict(headers), body)
        return json_answer(status, answer, "application/hal+json")

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        if self.failing:
            return 503, {"error": "Service unavailable"}
        if headers.get("OSDI-API-Token") != self.api_key:
            self.refused.append("API key")
            return 401, {"error": "API Key invalid or not present"}
        match = PATH.match(path)
        if match is None:
            self.refused.append(path)
            return 404, {"error": "Not found"}
        if not headers.get("Content-Type", "").startswith("application/json"):
            self.refused.append("content type")
            return 400, {"error": "Content-Type must be application/json"}
        body = json.loads(raw)
        if problems := shape_problems(body):
            self.refused.extend(problems)
            return 400, {"error": "; ".join(problems)}
        self.recorded.append((match["petition"], body))
        return 200, {
            "identifiers": [f"action_network:sig-{len(self.recorded)}"],
            "_links": {"osdi:petition": {"href": path.rsplit("/signatures", 1)[0]}},
        }
