"""Browser-test fixtures: Debian's Chromium driven by Python Playwright.

Never downloads a browser: Playwright launches /usr/bin/chromium. Without it (or without
Playwright) the browser tests are skipped with the install command, unless the environment
has CRM_TEST_REQUIRE_REAL=1, where a missing browser fails the run instead.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# As root and on a closed network: no sandbox, and none of Chromium's own background traffic.
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
INSTALL_HINT = (
    "install them with `apt-get install chromium` (Debian's Chromium at /usr/bin/chromium) "
    "and `pip install playwright` (Python package only; never run `playwright install`)"
)
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
DEFAULT_TIMEOUT_MS = 20_000
DEMO_PASSWORD = "demo"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs Debian's Chromium (/usr/bin/chromium) and Python Playwright")
    config.addinivalue_line("markers", "e2e: end-to-end test against the running system (running_system fixture)")


def _missing_parts() -> list[str]:
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"{CHROMIUM} not found")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Python package playwright not importable")
    return missing


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (Playwright Browser), shared by the session."""
    missing = _missing_parts()
    if missing:
        reason = f"browser tests need Chromium and Playwright ({'; '.join(missing)}): {INSTALL_HINT}"
        if os.environ.get("CRM_TEST_REQUIRE_REAL") == "1":
            pytest.fail(f"CRM_TEST_REQUIRE_REAL=1 and {reason}", pytrace=False)
        pytest.skip(reason)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser):
    """Factory for isolated browser contexts (separate storage: one user each); closed after the test."""
    contexts = []

    def make(**kwargs):
        kwargs.setdefault("viewport", {"width": 1280, "height": 800})
        kwargs.setdefault("locale", "en-US")
        context = browser.new_context(**kwargs)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name) saves test-artifacts/screenshots/<name>.png under the repo root."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        path = SCREENSHOT_DIR / f"{safe}.png"
        page.evaluate("window.scrollTo(0, 0)")  # sticky top bar renders in place
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def api_call():
    """api_call(base_url, method, path, body=None, token=None): one JSON call through the gateway."""

    def call(base_url: str, method: str, path: str, body: dict | None = None, token: str | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path} -> HTTP {error.code}: {error.read()[:500]!r}") from None

    return call


@pytest.fixture
def api_login(api_call):
    """api_login(base_url, username): a demo user's access token."""
    return lambda base_url, username: api_call(
        base_url, "POST", "/api/v1/auth/login", {"username": username, "password": DEMO_PASSWORD}
    )["access_token"]


@pytest.fixture
def sign_in():
    """sign_in(page, base_url, username, screenshot=None): log in through the login page."""

    def log_in(page, base_url: str, username: str, screenshot=None) -> None:
        from playwright.sync_api import expect

        page.goto(base_url + "/login")
        expect(page.get_by_test_id("login-username")).to_be_visible()
        if screenshot is not None:
            screenshot(page, f"{username}-login")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("current-user")).to_be_visible()

    return log_in
