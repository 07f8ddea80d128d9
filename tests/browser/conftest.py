"""Browser-test fixtures: Debian's Chromium driven by Python Playwright, and sales data set up through the API.

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
import requests

from crm_shared.testing import poll

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
        # expect() waits 5 s unless told otherwise; a first page load of a busy system can take longer.
        expect(page.get_by_test_id("login-username")).to_be_visible(timeout=DEFAULT_TIMEOUT_MS)
        if screenshot is not None:
            screenshot(page, f"{username}-login")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("current-user")).to_be_visible(timeout=DEFAULT_TIMEOUT_MS)

    return log_in


class SalesSetup:
    """Sales data set up through the gateway's API as the demo users rep1 and manager (team East)."""

    PDF = b"%PDF-1.7\n" + b"x" * 2000

    def __init__(self, running_system):
        self.api = running_system.gateway_url + "/api/v1"
        self._login = running_system.login
        self._headers: dict[str, dict[str, str]] = {}

    def headers(self, username: str) -> dict[str, str]:
        """The Authorization header of a demo user (logged in once per test)."""
        if username not in self._headers:
            self._headers[username] = self._login(username)
        return self._headers[username]

    def if_match(self, path: str, username: str) -> dict[str, str]:
        """`username`'s headers with If-Match naming the version of `path` as read now."""
        read = requests.get(f"{self.api}{path}", headers=self.headers(username), timeout=10)
        assert read.status_code == 200, read.text
        return {**self.headers(username), "If-Match": read.headers["ETag"]}

    def placed_order(self, company: str, unit_price: str) -> dict:
        """An order of rep1's for one line at `unit_price`: a lead given to rep1, converted with a deal, won."""
        api, manager, rep = self.api, self.headers("manager"), self.headers("rep1")
        users = requests.get(f"{api}/users", headers=manager, timeout=10).json()["items"]
        rep_id = next(u["id"] for u in users if u["username"] == "rep1")
        lead = requests.post(f"{api}/leads", json={"company": company, "contact_name": "Casey Contract",
                                                   "channel": "web", "allow_duplicate": True},
                             headers=manager, timeout=10)
        assert lead.ok, lead.text
        lead = lead.json()
        given = requests.post(f"{api}/pools/{lead['pool_id']}/distribute",
                              json={"lead_ids": [lead["id"]], "owner_id": rep_id}, headers=manager, timeout=10)
        assert given.ok, given.text
        deal = {"name": f"{company} deal", "amount": unit_price, "currency": "CNY", "expected_close_date": "2027-03-31"}
        converted = requests.post(f"{api}/leads/{lead['id']}/convert", json={"opportunity": deal}, headers=rep,
                                  timeout=10)
        assert converted.status_code == 200, converted.text
        customer = poll(
            lambda: requests.get(f"{api}/customers", params={"lead_id": lead["id"]}, headers=rep, timeout=10).json(),
            lambda body: body.get("total") == 1, what="the customer made of the converted lead")["items"][0]
        opportunities = f"{api}/customers/{customer['id']}/opportunities"
        [opportunity] = poll(lambda: requests.get(opportunities, headers=rep, timeout=10).json()["items"],
                             lambda items: len(items) == 1, what="the customer's first opportunity")
        won = requests.post(f"{api}/opportunities/{opportunity['id']}/close", json={"outcome": "won"},
                            headers=rep, timeout=10)
        assert won.status_code == 200, won.text
        order = requests.post(f"{api}/orders", json={"opportunity_id": opportunity["id"], "lines": [
            {"sku": "ERP-LICENCE", "description": "ERP licence", "quantity": "1", "unit_price": unit_price}]},
            headers=rep, timeout=10)
        assert order.status_code == 201, order.text
        return order.json()

    def signed_contract_with_plan(self, company: str) -> dict:
        """rep1's contract for 50,000.00, approved by the manager, signed, planned as 20,000.00 then 30,000.00."""
        api, rep = self.api, self.headers("rep1")
        flow = requests.get(f"{api}/approvals/flows/payment", headers=rep, timeout=10).json()
        assert flow["steps"] == [], f"this test needs payments counted at once, without approval: {flow}"
        order = self.placed_order(company, "50000.00")
        contract = requests.post(f"{api}/contracts", json={"order_id": order["id"], "title": f"{company} licence",
                                                           "start_date": "2027-01-01", "end_date": "2027-12-31"},
                                 headers=rep, timeout=10)
        assert contract.status_code == 201, contract.text
        url = f"/contracts/{contract.json()['id']}"
        submitted = requests.post(f"{api}{url}/submit", headers=self.if_match(url, "rep1"), timeout=10)
        assert submitted.status_code == 200, submitted.text
        request_path = f"/approvals/{submitted.json()['approval_request_id']}"
        approved = requests.post(f"{api}{request_path}/approve", json={},
                                 headers=self.if_match(request_path, "manager"), timeout=10)
        assert approved.status_code == 200, approved.text
        signed = requests.post(f"{api}{url}/sign", headers=self.if_match(url, "rep1"), timeout=10,
                               data={"signed_on": "2026-12-15", "signatories": ["Ms Li"]},
                               files={"file": ("signed.pdf", self.PDF, "application/pdf")})
        assert signed.status_code == 200 and signed.json()["status"] == "signed", signed.text
        plan = requests.post(f"{api}/payment-plans", headers=rep, timeout=10, json={
            "contract_id": signed.json()["id"], "installments": [
                {"number": 1, "amount": "20000.00", "planned_date": "2027-01-31", "method": "bank_transfer"},
                {"number": 2, "amount": "30000.00", "planned_date": "2027-06-30", "method": "bank_transfer"}]})
        assert plan.status_code == 201, plan.text
        return signed.json()


@pytest.fixture
def sales_setup(running_system):
    """Set-up of sales data through the API (orders, signed contracts with a plan); see SalesSetup."""
    return SalesSetup(running_system)
