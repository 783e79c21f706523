import os
from pathlib import Path

import pytest

# Sync Playwright drives the browser from the test thread while live_server runs Django.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SEED_FILE = Path(__file__).resolve().parent.parent / "seeds" / "gaza-hostages-ceasefire-2025.toml"
SEED_SLUG = "gaza-hostages-ceasefire-2025"


@pytest.fixture
def seeded(db):
    """The Cairo-round dataset, loaded from the real seed file."""
    from negotiations.models import Negotiation
    from negotiations.seeds import load_files

    load_files([SEED_FILE])
    return Negotiation.objects.get(slug=SEED_SLUG)


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Rendered pages are cached per process; every test starts without them."""
    from django.core.cache import cache

    cache.clear()


def pytest_collection_modifyitems(config, items):
    """A test outside tests/browser that asks for Playwright's "page" (a parameter named so will
    do) becomes a browser test: pytest then runs every browser test next to it, among the tests
    that share a database in a transaction, and the live server's flush empties that database
    (groups included) under the tests after them. Refuse it by name instead."""
    strays = [
        item.nodeid
        for item in items
        if "browser_name" in getattr(getattr(item, "callspec", None), "params", {})
        and not item.nodeid.startswith("tests/browser/")
    ]
    if strays:
        raise pytest.UsageError(
            "Only tests in tests/browser may use Playwright's fixtures (is a parameter named "
            "'page'?): " + ", ".join(strays)
        )
