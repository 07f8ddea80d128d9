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


def _users_by_name(api_call, base_url: str, token: str) -> dict[str, str]:
    return {user["username"]: user["id"] for user in api_call(base_url, "GET", "/api/v1/users", token=token)["items"]}


def restart_leads_worker(running_system, **extra_env: str) -> None:
    """Restart the leads worker with some settings changed (none: as the system started it)."""
    original = running_system.process_env
    running_system.stop("leads-worker")
    running_system.process_env = {**original, **extra_env}
    try:
        running_system.start("leads-worker")
    finally:
        running_system.process_env = original


def test_a_manager_previews_recycling_the_rep_is_warned_on_the_agenda_and_returns_the_lead(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    pool_name = f"E2E Recycle {run}"
    company = f"E2E Idle Lead {run}"
    manager_token = api_login(base_url, "manager")
    rep1_id = _users_by_name(api_call, base_url, manager_token)["rep1"]
    # A lead pool for the sales reps, and a lead in it that the manager gives rep1 (its clock starts now).
    pool = api_call(base_url, "POST", "/api/v1/pools",
                    {"name": pool_name, "kind": "lead", "scope": {"roles": ["sales_rep"]}}, token=manager_token)
    lead = api_call(base_url, "POST", "/api/v1/leads",
                    {"company": company, "contact_name": "Ida Idle", "email": f"ida.{run}@example.com", "channel": "web",
                     "pool_id": pool["id"]}, token=manager_token)
    api_call(base_url, "POST", f"/api/v1/pools/{pool['id']}/distribute",
             {"lead_ids": [lead["id"]], "owner_id": rep1_id}, token=manager_token)

    manager = new_context().new_page()
    rep = new_context().new_page()
    pages = {"manager": manager, "rep1": rep}
    try:
        # -- the manager gives the pool a recycle policy and previews what it would do now ------------
        sign_in(manager, base_url, "manager")
        manager.get_by_test_id("nav-pools").click()
        row = manager.locator(f'[data-testid="pools-row"][data-pool-name="{pool_name}"]')
        expect(row).to_be_visible()
        expect(row.get_by_test_id("recycle-preview-button")).to_have_count(0)  # no policy yet
        row.get_by_test_id("edit-pool-button").click()
        form = manager.get_by_test_id("pool-form")
        form.get_by_test_id("recycle-enabled").check()
        # The form refuses a policy without a condition before asking the server.
        form.get_by_test_id("pool-save").click()
        expect(form.get_by_test_id("pool-form-error")).to_be_visible()
        expect(form.get_by_test_id("recycle-section")).to_contain_text("Set days without a follow-up or days not converted")
        # Recycled after a day without a follow-up, with a warning a day before: due from the first day.
        form.get_by_test_id("recycle-no_follow_up_days").fill("1")
        form.get_by_test_id("recycle-warn_days_before").fill("1")
        screenshot(manager, "recycle-policy-form")
        # Preview the policy before saving it: the server evaluates the form's policy and saves nothing.
        form.get_by_test_id("pool-preview-policy").click()
        dialog = manager.get_by_test_id("recycle-preview-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_test_id("recycle-preview-unsaved")).to_be_visible()
        item = dialog.locator(f'[data-testid="recycle-preview-row"][data-lead-id="{lead["id"]}"]')
        expect(item).to_be_visible()
        expect(item).to_have_attribute("data-decision", "remind_rep")
        expect(item).to_contain_text("Remind the rep")
        expect(item).to_contain_text("No follow-up")
        expect(item).to_contain_text("Riley Rep")  # the owner it would be taken from
        expect(item.get_by_test_id("recycle-preview-reason")).to_contain_text("no follow-up for 0 days (limit 1 by default)")
        screenshot(manager, "recycle-preview-now")
        # Looking two days ahead, the same lead would be recycled.
        dialog.get_by_test_id("recycle-preview-at").fill(manager.evaluate(
            """() => { const d = new Date(Date.now() + 2 * 86400000); const p = (n) => String(n).padStart(2, '0');
                 return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}` }"""))
        dialog.get_by_test_id("recycle-preview-refresh").click()
        expect(item).to_have_attribute("data-decision", "recycle")
        expect(item.get_by_test_id("recycle-preview-reason")).to_contain_text("no follow-up for 2 days (limit 1 by default)")
        screenshot(manager, "recycle-preview-ahead")
        manager.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(row.get_by_test_id("pool-recycle-summary")).to_have_count(0)  # previewed, not saved
        saved_rules = api_call(base_url, "GET", f"/api/v1/pools/{pool['id']}", token=manager_token)["rules"]
        assert saved_rules["recycle"] is None
        form.get_by_test_id("pool-save").click()
        expect(manager.get_by_test_id("toast-success").filter(has_text=pool_name)).to_be_visible()
        expect(row.get_by_test_id("pool-recycle-summary")).to_contain_text("recycled after 1 day without follow-up")

        # -- the recycle job runs (every minute from now; a restarted worker runs the current minute's
        #    slot at once) and warns rep1 on the agenda ---------------------------------------------------
        restart_leads_worker(running_system, CRM_LEADS_RECYCLE_EVERY_MINUTES="1")
        sign_in(rep, base_url, "rep1")
        expect(rep.get_by_test_id("agenda-page")).to_be_visible()
        warning = rep.locator(f'[data-testid="agenda-item"][data-lead-id="{lead["id"]}"][data-kind="recycle_warning"]')
        for _ in range(40):
            if warning.count():
                break
            rep.wait_for_timeout(1000)
            rep.get_by_test_id("agenda-refresh").click()
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("Recycle warning")
        expect(warning).to_contain_text(company)
        expect(warning).to_contain_text("no follow-up for 0 days (limit 1 by default)")
        screenshot(rep, "rep-day-agenda-recycle-warning")

        # -- rep1 gives the lead back from My leads, with a reason -----------------------------------------
        rep.get_by_test_id("nav-my-leads").click()
        mine = rep.locator(f'[data-testid="my-lead-row"][data-lead-id="{lead["id"]}"]')
        expect(mine).to_be_visible()
        mine.get_by_test_id("return-button").click()
        dialog = rep.get_by_test_id("return-dialog")
        expect(dialog.get_by_test_id("return-submit")).to_be_disabled()  # a reason is required
        dialog.get_by_test_id("return-reason").select_option("no_budget")
        dialog.get_by_test_id("return-note").fill(f"No budget this year ({run}).")
        screenshot(rep, "rep-day-return-dialog")
        dialog.get_by_test_id("return-submit").click()
        expect(rep.get_by_test_id("toast-success").first).to_be_visible()
        expect(mine).to_have_count(0)
        screenshot(rep, "rep-day-returned")
    except BaseException:
        for name, page in pages.items():
            try:
                screenshot(page, f"recycle-failure-{name}")
            except Exception:
                pass
        raise
    finally:
        restart_leads_worker(running_system)

    returned = api_call(base_url, "GET", f"/api/v1/leads/{lead['id']}", token=manager_token)
    assert returned["status"] == "pool" and returned["owner_id"] is None
    history = api_call(base_url, "GET", f"/api/v1/leads/{lead['id']}/ownership-history", token=manager_token)["items"]
    assert any(entry["detail"] == f"no_budget: No budget this year ({run})." for entry in history), history
