"""Playwright with Debian's Chromium and the unpacked extension, against a real newsmark service.

Article pages are served at their real lite.cnn.com URLs by routing (the machine has no network).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import playwright.sync_api as playwright_sync
import pytest

from helpers import ROOT, ServerProcess

from .pages import ARTICLE_URL, HOME_URL, article_html, home_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EXTENSION = ROOT / "extension"
OUTPUT = ROOT / "test-output"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the extension tests (scripts/test installs it)")
    with playwright_sync.sync_playwright() as p:
        yield p


@pytest.fixture
def service(server: ServerProcess) -> ServerProcess:
    """The real newsmark service the extension talks to (the suite's ``server`` fixture)."""
    return server


def launch(playwright, profile: Path) -> object:
    """Debian's Chromium, headless, with the unpacked extension, on the profile folder ``profile``."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        headless=True,
        executable_path=CHROMIUM,
        args=[
            f"--disable-extensions-except={EXTENSION}",
            f"--load-extension={EXTENSION}",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    )


@pytest.fixture
def browser(playwright, tmp_path: Path) -> Iterator[object]:
    context = launch(playwright, tmp_path / "profile")
    yield context
    context.close()


@pytest.fixture
def service_worker(browser) -> object:
    workers = browser.service_workers
    return workers[0] if workers else browser.wait_for_event("serviceworker", timeout=15_000)


@pytest.fixture
def extension_id(service_worker) -> str:
    return service_worker.url.split("/")[2]


@pytest.fixture
def configure(service_worker) -> Callable[..., None]:
    """Write the extension's settings, as the options page would."""

    def _configure(service_url: str, token: str, annotator: str = "coder-a") -> None:
        service_worker.evaluate(
            "s => chrome.storage.local.set({settings: s})",
            {"serviceUrl": service_url, "token": token, "annotator": annotator},
        )

    return _configure


@pytest.fixture
def extension_page(browser, extension_id) -> Callable[[str], object]:
    def _open(name: str) -> object:
        page = browser.new_page()
        page.goto(f"chrome-extension://{extension_id}/{name}")
        return page

    return _open


class Site:
    """lite.cnn.com, served from fixture pages; change ``pages`` to publish a revised article."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.pages: dict[str, str] = {ARTICLE_URL: article_html(), HOME_URL: home_html()}
        browser.route("https://lite.cnn.com/**", self._serve)

    def _serve(self, route) -> None:
        url = route.request.url.split("#")[0].split("?")[0]
        body = self.pages.get(url)
        if body is None:
            route.fulfill(status=404, body="not found")
        else:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    def open(self, url: str = ARTICLE_URL) -> object:
        page = self.browser.new_page()
        page.goto(url)
        return page


@pytest.fixture
def site(browser) -> Site:
    return Site(browser)


@pytest.fixture
def ready_site(site, service, configure, service_worker) -> Site:
    """The site with the extension configured against the real service."""
    configure(service.url, service.token)
    return site
