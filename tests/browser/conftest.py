"""Playwright driving Debian's Chromium (never a downloaded browser) against a live server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
_NEEDS_CHROMIUM = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's Chromium (/usr/bin/chromium) is not installed; `make test` installs it "
           "with apt-get")


@pytest.hookimpl(tryfirst=True)  # before `-m browser` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(_NEEDS_CHROMIUM)


@pytest.fixture
def page(live_server, transactional_db, monkeypatch) -> Iterator[object]:  # noqa: ANN001
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are still synchronous and safe. Set only for the test, so no subprocess
    # (e.g. `check --deploy`) inherits it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB", base_url=live_server.url)
        context.set_default_timeout(15_000)
        # Card images live on the publishers' CDNs; this machine has no internet.
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"),
                      lambda route: route.abort())
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
