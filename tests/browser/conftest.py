"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Without /usr/bin/chromium they are skipped with a reason, unless GAPWATCH_REQUIRE_BROWSER=1
(set by .ci/run), which turns the missing browser into a failure.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXPECTED_STATUS = re.compile(r"Failed to load resource: .* status of (400|401|409|422)\b")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


# Some Playwright calls wait for chromium with no time limit (opening and closing a page among
# them): a browser that stops answering would hang its test, and every later test on that
# worker. So a browser test that takes a minute (the slowest takes under 10 s) ends its
# worker, after printing every thread's stack; xdist starts another worker for the tests
# still to come, and the test runs once more, in that worker's new browser. A failure that
# leaves the worker alive is not run again ("(?!)" matches no error). A rerun shows in the
# summary, and a test that fails twice fails the run.
BROWSER_LIMITS = (
    pytest.mark.timeout(60, method="thread"),
    pytest.mark.flaky(reruns=1, only_rerun=["(?!)"]),
)


def pytest_collection_modifyitems(config, items):
    browser_tests = [item for item in items if "browser" in item.keywords]
    installed = Path(CHROMIUM).exists() or shutil.which("chromium")
    # Required (CI) but missing: the launch fails loudly, CI must not skip the browser tests.
    if installed or os.environ.get("GAPWATCH_REQUIRE_BROWSER") == "1":
        marks = BROWSER_LIMITS
    else:
        marks = (
            pytest.mark.skip(
                reason="Debian's chromium is not installed (apt-get install chromium); "
                "browser tests skipped"
            ),
        )
    for item in browser_tests:
        for mark in marks:
            item.add_marker(mark)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture
def live_seeded(transactional_db, live_server):
    from django.contrib.auth.models import Group, Permission

    from negotiations.models import Negotiation
    from negotiations.roles import ensure_groups
    from negotiations.seeds import load_files
    from tests.conftest import SEED_FILE, SEED_SLUG

    ensure_groups(Group, Permission)  # a transactional test empties every table after it
    load_files([SEED_FILE])
    return Negotiation.objects.get(slug=SEED_SLUG)


@pytest.fixture
def watched_page(page):
    """A page that records console errors and Content Security Policy violations."""
    problems: list[str] = []

    def on_console(message) -> None:
        # The browser logs every 4xx answer; 400/409/422 are forms answered in place on purpose.
        if message.type == "error" and not EXPECTED_STATUS.search(message.text):
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.problems = problems
    yield page
    assert problems == [], problems


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
