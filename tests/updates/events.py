"""A stand-in for the webhooks' emit_event (updates/hooks.py): it keeps
what it was given, so a test can see the hook was called once."""

EMITTED: list[tuple[str, dict]] = []


def emit_event(kind: str, payload: dict) -> None:
    EMITTED.append((kind, payload))
