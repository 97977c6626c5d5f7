"""Headless Chromium from the system (never downloaded), driven by Playwright's sync API.

CHROMIUM_PATH overrides the executable (default: Debian's /usr/bin/chromium, installed by
scripts/install_system_deps.sh). The flags keep a machine without network quiet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}


def chromium_path() -> Path:
    """The Chromium executable: $CHROMIUM_PATH, else the Debian package's."""
    return Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session."""
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        pytest.fail(
            f"no Chromium at {executable}: run scripts/install_system_deps.sh or set CHROMIUM_PATH"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageEvents:
    """What a page reported: console errors, uncaught exceptions and every request."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def outside(self, allowed: str) -> list[str]:
        """Requests to anything but `allowed` and data: URLs."""
        return [url for url in self.requests if url != allowed and not url.startswith("data:")]


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(browser: Browser, page_events: PageEvents) -> Iterator[Page]:
    """A fresh page whose console errors, exceptions and requests are recorded."""
    context = browser.new_context(viewport=VIEWPORT)
    new_page = context.new_page()
    new_page.on(
        "console",
        lambda message: (
            page_events.errors.append(message.text) if message.type == "error" else None
        ),
    )
    new_page.on("pageerror", lambda error: page_events.errors.append(str(error)))
    new_page.on("request", lambda request: page_events.requests.append(request.url))
    new_page.on("requestfailed", lambda request: page_events.failed.append(request.url))
    yield new_page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The git-ignored folder for screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
