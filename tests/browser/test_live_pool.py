"""The lead pool is live: a lead claimed by one rep disappears from another rep's open pool page.

Runs against the real system (the running_system fixture from tests/conftest.py, with the demo
users rep1, rep2 and manager, password "demo") in Debian's Chromium via Playwright.
Screenshots of every page visited go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LIVE_TIMEOUT_MS = 20_000


def open_pool(page, username: str, screenshot) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("nav-lead-pool").click()
    expect(page.get_by_test_id("lead-pool-page")).to_be_visible()
    expect(page.get_by_test_id("pool-total")).to_be_visible()  # first load finished
    # The live stream is connected, so no event of this test can be missed.
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT_MS)
    screenshot(page, f"{username}-lead-pool")


def pool_row(page, lead_id):
    return page.locator(f'[data-testid="pool-row"][data-lead-id="{lead_id}"]')


def test_claimed_lead_disappears_from_other_reps_pool_without_reload(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    rep1 = new_context().new_page()
    rep2 = new_context().new_page()
    pages = {"rep1": rep1, "rep2": rep2}
    try:
        for name, page in pages.items():
            sign_in(page, base_url, name, screenshot)
            open_pool(page, name, screenshot)

        # Marks this document: it survives only if rep2's page is never reloaded.
        rep2.evaluate("window.__crmNoReload = 'still-here'")

        manager_token = api_login(base_url, "manager")
        company = f"E2E Live Pool {uuid.uuid4().hex[:8]}"
        lead = api_call(
            base_url,
            "POST",
            "/api/v1/leads",
            {"company": company, "contact_name": "Erin E2E", "phone": "+1 555 0100", "email": "erin@example.com", "channel": "web"},
            token=manager_token,
        )
        lead_id = lead["id"]

        # The new lead shows on both open pool pages (live leads.lead.created.v1, no reload).
        for name, page in pages.items():
            expect(pool_row(page, lead_id)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
            expect(pool_row(page, lead_id)).to_contain_text(company)
            screenshot(page, f"{name}-lead-pool-new-lead")

        # rep1 claims it.
        pool_row(rep1, lead_id).get_by_test_id("claim-button").click()
        expect(rep1.get_by_test_id("toast-success")).to_be_visible()
        expect(pool_row(rep1, lead_id)).to_have_count(0)

        # On rep2's page the row goes away by itself (live leads.lead.claimed.v1).
        expect(pool_row(rep2, lead_id)).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
        assert rep2.evaluate("window.__crmNoReload") == "still-here", "rep2's pool page was reloaded"
        for name, page in pages.items():
            screenshot(page, f"{name}-lead-pool-after-claim")

        # The claimed lead is now in rep1's own leads.
        rep1.get_by_test_id("nav-my-leads").click()
        expect(rep1.get_by_test_id("my-leads-page")).to_be_visible()
        expect(rep1.locator(f'[data-testid="my-lead-row"][data-lead-id="{lead_id}"]')).to_be_visible()
        screenshot(rep1, "rep1-my-leads")
    except BaseException:
        for name, page in pages.items():
            try:
                screenshot(page, f"{name}-failure")
            except Exception:
                pass
        raise
