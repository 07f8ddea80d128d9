"""A manager sets a rep's target and sees the rep on the Team page; the rep sees the target's bar, and no Team page.

Runs against the real system (the running_system fixture, demo users rep1 and manager of team East) in
Debian's Chromium via Playwright. The system is shared by the session: the target may exist from an earlier
run, so the figure set is unique to this run and the page changes the target when it exists.
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000


def test_a_manager_sets_a_target_and_the_rep_sees_how_far_they_are(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    manager_token = api_login(base_url, "manager")
    users = api_call(base_url, "GET", "/api/v1/users", token=manager_token)["items"]
    rep = next(u for u in users if u["username"] == "rep1")
    figure = str(random.randint(100_000, 999_999))
    month = datetime.now(timezone.utc).strftime("%Y-%m")

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "manager", screenshot)
        page.get_by_test_id("nav-targets").click()
        expect(page.get_by_test_id("targets-page")).to_be_visible()
        expect(page.get_by_test_id("targets-period")).to_have_text(month)
        page.get_by_test_id("target-subject-kind").select_option("rep")
        page.get_by_test_id("target-subject").select_option(rep["id"])
        page.get_by_test_id("target-metric").select_option("new_customers")
        page.get_by_test_id("target-value").fill(figure)
        page.get_by_test_id("target-save").click()
        expect(page.get_by_test_id("toast-success").first).to_be_visible(timeout=TIMEOUT_MS)
        row = page.locator(f'[data-testid="achievement-row"][data-subject="{rep["id"]}"][data-metric="new_customers"]')
        expect(row).to_be_visible(timeout=TIMEOUT_MS)
        expect(row).to_contain_text(f"{int(figure):,}")
        screenshot(page, "targets-manager")

        page.get_by_test_id("nav-team").click()
        expect(page.get_by_test_id("team-page")).to_be_visible()
        rep_row = page.locator(f'[data-testid="team-row"][data-rep-id="{rep["id"]}"]')
        expect(rep_row).to_be_visible(timeout=TIMEOUT_MS)
        rep_row.click()
        expect(page.get_by_test_id("team-details")).to_be_visible()
        screenshot(page, "team-manager")
    finally:
        page.close()

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "rep1", screenshot)
        expect(page.get_by_test_id("nav-team")).to_have_count(0)
        page.get_by_test_id("nav-targets").click()
        expect(page.get_by_test_id("targets-page")).to_be_visible()
        expect(page.get_by_test_id("target-form")).to_have_count(0)
        row = page.locator(f'[data-testid="achievement-row"][data-subject="{rep["id"]}"][data-metric="new_customers"]')
        expect(row).to_be_visible(timeout=TIMEOUT_MS)
        expect(row).to_contain_text(f"{int(figure):,}")
        expect(row.get_by_test_id("achievement-percent")).to_contain_text("%")
        screenshot(page, "targets-rep")
    finally:
        page.close()


def test_a_rep_records_an_expense_and_their_manager_approves_it(
    running_system, new_context, screenshot, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    amount = f"{random.randint(100, 999)}.{random.randint(10, 99)}"
    note = f"Taxi to the customer {random.randint(100_000, 999_999)}"

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "rep1", screenshot)
        page.get_by_test_id("nav-expenses").click()
        expect(page.get_by_test_id("expenses-page")).to_be_visible()
        page.get_by_test_id("expense-category").select_option("transport")
        page.get_by_test_id("expense-amount").fill(amount)
        page.get_by_test_id("expense-note").fill(note)
        page.get_by_test_id("expense-save").click()
        expect(page.get_by_test_id("toast-success").first).to_be_visible(timeout=TIMEOUT_MS)
        mine = page.locator('[data-testid="expense-row"]', has_text=note)
        expect(mine).to_be_visible(timeout=TIMEOUT_MS)
        expect(mine.get_by_test_id("expense-approve")).to_have_count(0)
        screenshot(page, "expenses-rep")
    finally:
        page.close()

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "manager", screenshot)
        page.get_by_test_id("nav-expenses").click()
        row = page.locator('[data-testid="expense-row"]', has_text=note)
        expect(row).to_be_visible(timeout=TIMEOUT_MS)
        row.get_by_test_id("expense-approve").click()
        expect(page.get_by_test_id("toast-success").first).to_be_visible(timeout=TIMEOUT_MS)
        expect(row).to_contain_text("Approved", timeout=TIMEOUT_MS)
        expect(row.get_by_test_id("expense-approve")).to_have_count(0)
        screenshot(page, "expenses-manager")
    finally:
        page.close()
