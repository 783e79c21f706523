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
