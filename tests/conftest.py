from pathlib import Path

import pytest
from django.core.management import call_command

SEED_SLUG = "no-more-caged-families"
TEST_DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session", autouse=True)
def collected_static() -> None:
    """Pages use hashed static names, as in production: build the manifest once."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def seed_text() -> str:
    return (TEST_DATA / "seed_campaign.txt").read_text(encoding="utf-8")
