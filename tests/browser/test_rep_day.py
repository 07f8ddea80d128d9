"""A rep's day in the browser: search a prospect, claim it, log a follow-up, see the reminder on the agenda.

Runs against the real system (the running_system fixture from tests/conftest.py, with the demo
users rep1 and manager, password "demo") in Debian's Chromium via Playwright.
Screenshots of every page visited go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import random
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000
OVERDUE_TIMEOUT_MS = 100_000  # the reminder is due within 70 s


def search_for(page, company: str, lead_id: str, screenshot, shot: str):
    from playwright.sync_api import expect

    page.get_by_test_id("nav-lead-search").click()
    expect(page.get_by_test_id("lead-search-page")).to_be_visible()
    page.get_by_test_id("search-q").fill(company)
    page.get_by_test_id("search-q").press("Enter")
    row = page.locator(f'[data-testid="search-row"][data-lead-id="{lead_id}"]')
    expect(row).to_be_visible(timeout=TIMEOUT_MS)
    expect(row).to_contain_text(company)
    expect(page.locator('[data-testid="search-row"]')).to_have_count(1)
    screenshot(page, shot)
    return row


def test_a_rep_searches_claims_follows_up_and_sees_the_reminder_overdue_on_the_agenda(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    company = f"E2E Rep Day {run}"
    phone = f"+1 555 {random.randint(1000, 9999)} {random.randint(1000, 9999)}"
    lead = api_call(
        base_url, "POST", "/api/v1/leads",
        {"company": company, "contact_name": "Dana Day", "phone": phone, "email": f"dana.{run}@example.com",
         "channel": "web"},
        token=api_login(base_url, "manager"),
    )
    lead_id = lead["id"]

    page = new_context().new_page()
    try:
        # A rep starts the day on the agenda.
        sign_in(page, base_url, "rep1", screenshot)
        expect(page.get_by_test_id("agenda-page")).to_be_visible()
        screenshot(page, "rep-day-agenda-start")

        # Prospect search finds the new company (still in the pool, contacts masked).
        search_for(page, company, lead_id, screenshot, "rep-day-search")
        # The export downloads what the search finds, through the API with the rep's token.
        with page.expect_download() as download_info:
            page.get_by_test_id("export-csv").click()
        download = download_info.value
        assert download.suggested_filename == "leads.csv"
        with open(download.path(), encoding="utf-8-sig") as exported:
            assert company in exported.read()

        # Claims it from the pool page.
        page.get_by_test_id("nav-lead-pool").click()
        expect(page.get_by_test_id("lead-pool-page")).to_be_visible()
        pool_row = page.locator(f'[data-testid="pool-row"][data-lead-id="{lead_id}"]')
        expect(pool_row).to_be_visible(timeout=TIMEOUT_MS)
        screenshot(page, "rep-day-pool")
        pool_row.get_by_test_id("claim-button").click()
        expect(page.get_by_test_id("toast-success").first).to_be_visible()
        expect(pool_row).to_have_count(0)

        # Opens the lead page from the search results.
        row = search_for(page, company, lead_id, screenshot, "rep-day-search-claimed")
        row.get_by_role("link", name=company).click()
        expect(page.get_by_test_id("lead-detail-page")).to_be_visible()
        expect(page.get_by_test_id("follow-up-form")).to_be_visible()
        expect(page.locator('[data-testid="timeline-entry"][data-kind="claimed"]')).to_be_visible(timeout=TIMEOUT_MS)

        # Logs a follow-up with the keyboard: Alt+1 is a call; Enter saves. The service refuses a next contact
        # in the past, so it is the next whole minute (at least 10 s ahead), which is overdue a minute later.
        outcome = page.get_by_test_id("follow-up-outcome")
        outcome.click()
        outcome.press("Alt+2")
        expect(page.get_by_test_id("follow-up-kind-visit")).to_have_attribute("aria-checked", "true")
        outcome.press("Alt+1")
        expect(page.get_by_test_id("follow-up-kind-call")).to_have_attribute("aria-checked", "true")
        outcome.fill(f"Spoke with Dana {run}")
        page.get_by_test_id("follow-up-next-step").fill("Send the price list")
        next_minute = page.evaluate(
            """() => { const d = new Date(Date.now() + 70000); d.setSeconds(0, 0); const p = (n) => String(n).padStart(2, '0');
                 return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}` }"""
        )
        page.get_by_test_id("follow-up-next-contact").fill(next_minute)
        screenshot(page, "rep-day-follow-up-form")
        outcome.press("Enter")
        expect(page.get_by_test_id("toast-success").filter(has_text="Follow-up logged")).to_be_visible()
        entry = page.locator('[data-testid="timeline-entry"][data-kind="follow_up"]').first
        expect(entry).to_contain_text(f"Spoke with Dana {run}", timeout=TIMEOUT_MS)
        # Newest first: the follow-up sits above the claim.
        expect(page.locator('[data-testid="timeline-entry"]').first).to_have_attribute("data-kind", "follow_up")
        expect(outcome).to_have_value("")
        screenshot(page, "rep-day-lead-page")

        # The next contact is on the agenda, and moves to Overdue by itself once its minute has passed.
        page.get_by_test_id("nav-agenda").click()
        expect(page.get_by_test_id("agenda-page")).to_be_visible()
        pending = page.locator(f'[data-testid="agenda-item"][data-lead-id="{lead_id}"]')
        expect(pending).to_be_visible(timeout=TIMEOUT_MS)
        expect(pending).to_contain_text("Next contact")
        screenshot(page, "rep-day-agenda-pending")
        item = page.get_by_test_id("agenda-overdue").locator(f'[data-testid="agenda-item"][data-lead-id="{lead_id}"]')
        expect(item).to_be_visible(timeout=OVERDUE_TIMEOUT_MS)
        expect(item).to_have_attribute("data-kind", "next_contact")
        expect(item).to_contain_text(company)
        screenshot(page, "rep-day-agenda-overdue")
    except BaseException:
        try:
            screenshot(page, "rep-day-failure")
        except Exception:
            pass
        raise
