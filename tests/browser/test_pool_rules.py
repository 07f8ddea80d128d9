"""Pool rules in the browser: a manager sets a public pool's daily claim quota on the Pools page, a rep
meets it, returns a lead with a reason from My leads, and another rep finds it masked in the public pool
and reveals it.

Runs against the real system (the running_system fixture from tests/conftest.py, with the demo users
rep1, rep2 and manager, password "demo") in Debian's Chromium via Playwright. Screenshots of every
page visited go to test-artifacts/screenshots/ (prefix pool-rules-).
"""

from __future__ import annotations

import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]



def open_pool(page, pool_name: str) -> None:
    """The lead pool page, switched to the pool called `pool_name`, first load finished."""
    from playwright.sync_api import expect

    page.get_by_test_id("nav-lead-pool").click()
    expect(page.get_by_test_id("lead-pool-page")).to_be_visible()
    page.locator(f'[data-testid="pool-option"][data-pool-name="{pool_name}"]').click()
    expect(page.locator(f'[data-testid="pool-option"][data-pool-name="{pool_name}"]')).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("pool-total")).to_be_visible()


def pool_row(page, lead_id):
    return page.locator(f'[data-testid="pool-row"][data-lead-id="{lead_id}"]')


def test_manager_sets_a_daily_quota_that_stops_the_second_claim_and_a_returned_lead_reaches_another_rep_masked(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:6]
    pool_name = f"E2E public pool {run}"
    manager = new_context().new_page()
    rep1 = new_context().new_page()
    rep2 = new_context().new_page()
    pages = {"manager": manager, "rep1": rep1, "rep2": rep2}
    try:
        # -- the manager creates a public pool for rep1 and rep2 with a daily claim quota of 1 --------
        sign_in(manager, base_url, "manager")
        manager.get_by_test_id("nav-pools").click()
        expect(manager.get_by_test_id("pools-page")).to_be_visible()
        expect(manager.get_by_test_id("pools-table")).to_be_visible()
        screenshot(manager, "pool-rules-manager-pools")

        manager.get_by_test_id("new-pool-button").click()
        form = manager.get_by_test_id("pool-form")
        expect(form).to_be_visible()
        # The form refuses a batch size of 0 before asking the server.
        form.get_by_test_id("pool-name").fill(pool_name)
        form.get_by_test_id("rule-max_claim_batch").fill("0")
        form.get_by_test_id("pool-save").click()
        expect(form.get_by_test_id("pool-form-error")).to_be_visible()
        expect(form).to_contain_text("1 to 500")
        screenshot(manager, "pool-rules-manager-pool-form-invalid")

        form.get_by_test_id("pool-kind").select_option("public")
        form.get_by_test_id("rule-max_claim_batch").fill("20")
        form.get_by_test_id("rule-daily_claim_quota").fill("1")
        # Members: rep1 and rep2 by name, instead of every sales rep.
        form.get_by_test_id("scope-roles").locator('[data-value="sales_rep"]').click()
        form.get_by_test_id("scope-users").get_by_role("button", name="Riley Rep").click()
        form.get_by_test_id("scope-users").get_by_role("button", name="Robin Rep").click()
        expect(form.get_by_test_id("scope-users").locator(".chip-option.on")).to_have_count(2)
        screenshot(manager, "pool-rules-manager-pool-form")
        form.get_by_test_id("pool-save").click()
        expect(manager.get_by_test_id("toast-success").filter(has_text=pool_name)).to_be_visible()
        row = manager.locator(f'[data-testid="pools-row"][data-pool-name="{pool_name}"]')
        expect(row).to_be_visible()
        expect(row.locator('[data-rule="daily_claim_quota"]')).to_be_visible()
        screenshot(manager, "pool-rules-manager-pool-created")
        pool_id = row.get_attribute("data-pool-id")

        # Two leads wait in the new public pool.
        manager_token = api_login(base_url, "manager")
        leads = []
        for n, phone in ((1, "13800138001"), (2, "13800138002")):
            leads.append(api_call(base_url, "POST", "/api/v1/leads", {
                "company": f"E2E Quota {run} #{n}", "contact_name": f"Casey {n}", "phone": phone,
                "email": f"casey{n}.{run}@example.com", "channel": "web", "pool_id": pool_id,
            }, token=manager_token))
        first, second = leads

        # -- rep1: the first claim succeeds, the second meets the daily quota -----------------------------
        sign_in(rep1, base_url, "rep1")
        open_pool(rep1, pool_name)
        for lead in leads:
            expect(pool_row(rep1, lead["id"])).to_be_visible()
            expect(pool_row(rep1, lead["id"])).to_have_attribute("data-masked", "true")
            expect(pool_row(rep1, lead["id"])).not_to_contain_text(lead["phone"])
        expect(rep1.get_by_test_id("pool-rules").locator('[data-rule="daily_claim_quota"]')).to_be_visible()
        screenshot(rep1, "pool-rules-rep1-public-pool")

        pool_row(rep1, first["id"]).get_by_test_id("claim-button").click()
        expect(rep1.get_by_test_id("toast-success").filter(has_text="is now yours")).to_be_visible()
        expect(pool_row(rep1, first["id"])).to_have_count(0)

        pool_row(rep1, second["id"]).get_by_test_id("row-select").check()
        rep1.get_by_test_id("claim-selected").click()
        refusal = rep1.get_by_test_id("pool-refusal")
        expect(refusal).to_be_visible()
        expect(refusal).to_have_attribute("data-code", "daily_claim_quota_reached")
        expect(refusal).to_contain_text("Daily claim limit reached")
        expect(refusal).to_contain_text("1 of 1 claims used today")
        expect(pool_row(rep1, second["id"])).to_be_visible()
        screenshot(rep1, "pool-rules-rep1-quota-refused")

        # -- rep1 returns the claimed lead from My leads, with a reason --------------------------------
        rep1.get_by_test_id("nav-my-leads").click()
        mine = rep1.locator(f'[data-testid="my-lead-row"][data-lead-id="{first["id"]}"]')
        expect(mine).to_be_visible()
        expect(mine).to_contain_text(first["phone"])  # an owner sees the contacts in full
        mine.get_by_test_id("return-button").click()
        dialog = rep1.get_by_test_id("return-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_test_id("return-submit")).to_be_disabled()  # a reason is required
        dialog.get_by_test_id("return-reason").select_option("unreachable")
        dialog.get_by_test_id("return-note").fill("Number rings out; try email.")
        screenshot(rep1, "pool-rules-rep1-return-dialog")
        dialog.get_by_test_id("return-submit").click()
        expect(dialog).to_have_count(0)
        expect(rep1.get_by_test_id("toast-success").filter(has_text="returned to the public pool")).to_be_visible()
        expect(mine).to_have_count(0)
        screenshot(rep1, "pool-rules-rep1-my-leads-after-return")

        # -- rep2 finds it in the public pool, masked, and reveals it ----------------------------------
        sign_in(rep2, base_url, "rep2")
        open_pool(rep2, pool_name)
        returned = pool_row(rep2, first["id"])
        expect(returned).to_be_visible()
        expect(returned).to_have_attribute("data-masked", "true")
        expect(returned.get_by_test_id("lead-phone-cell")).not_to_contain_text(first["phone"])
        expect(returned.get_by_test_id("lead-phone-cell")).to_contain_text("*")
        screenshot(rep2, "pool-rules-rep2-public-pool-masked")
        returned.get_by_test_id("reveal-button").click()
        expect(returned.get_by_test_id("lead-phone-cell")).to_contain_text(first["phone"])
        expect(returned.get_by_test_id("lead-email-cell")).to_contain_text(first["email"])
        expect(returned).to_have_attribute("data-masked", "false")
        screenshot(rep2, "pool-rules-rep2-public-pool-revealed")

        # -- the manager sees the lead's ownership history with names --------------------------------
        manager.goto(f"{base_url}/leads/{first['id']}")
        expect(manager.get_by_test_id("lead-detail-page")).to_be_visible()
        history = manager.get_by_test_id("ownership-change")
        expect(history).to_have_count(2)
        expect(manager.get_by_test_id("ownership-history")).to_contain_text("Claimed by Riley Rep")
        expect(manager.get_by_test_id("ownership-history")).to_contain_text("Cannot be reached")
        screenshot(manager, "pool-rules-manager-lead-history")

        # -- and gives the other lead to rep2 on the Distribute page -------------------------------
        manager.get_by_test_id("nav-distribute").click()
        expect(manager.get_by_test_id("distribute-page")).to_be_visible()
        manager.get_by_test_id("distribute-pool").select_option(pool_id)
        target = manager.locator(f'[data-testid="distribute-row"][data-lead-id="{second["id"]}"]')
        target.get_by_test_id("distribute-select").check()
        manager.get_by_test_id("distribute-rep").select_option(label="Robin Rep (rep2)")
        screenshot(manager, "pool-rules-manager-distribute")
        manager.get_by_test_id("distribute-submit").click()
        expect(manager.get_by_test_id("toast-success").filter(has_text="Leads given to Robin Rep")).to_be_visible()
        expect(target).to_have_count(0)
        # rep2's open pool page drops the row by itself (live leads.lead.distributed.v1, no Refresh).
        expect(pool_row(rep2, second["id"])).to_have_count(0)
        rep2.get_by_test_id("nav-my-leads").click()
        expect(rep2.locator(f'[data-testid="my-lead-row"][data-lead-id="{second["id"]}"]')).to_be_visible()
        screenshot(rep2, "pool-rules-rep2-my-leads-distributed")

        # -- the Markets page, and the Pools page in Chinese ----------------------------------------
        manager.get_by_test_id("nav-markets").click()
        expect(manager.get_by_test_id("markets-page")).to_be_visible()
        manager.get_by_test_id("new-market-button").click()
        market_form = manager.get_by_test_id("market-form")
        market_form.get_by_test_id("market-name").fill(f"East China {run}")
        for region in ("Shanghai", "Jiangsu"):
            market_form.get_by_test_id("market-regions-input").fill(region)
            market_form.get_by_test_id("market-regions-input").press("Enter")
        market_form.get_by_test_id("market-tags-input").fill("vip")
        market_form.get_by_test_id("market-tags-input").press("Enter")
        # The manager works it (managers administer every pool, so markets never bind them).
        market_form.get_by_test_id("market-users").get_by_role("button", name="Morgan Manager").click()
        screenshot(manager, "pool-rules-manager-market-form")
        market_form.get_by_test_id("market-save").click()
        market_row = manager.get_by_test_id("markets-row").filter(has_text=f"East China {run}")
        expect(market_row).to_contain_text("Shanghai, Jiangsu")
        expect(market_row).to_contain_text("You")  # the signed-in manager
        screenshot(manager, "pool-rules-manager-markets")
        manager.get_by_test_id("nav-pools").click()
        manager.get_by_test_id("language-zh-CN").click()
        expect(manager.get_by_test_id("pools-page")).to_contain_text("线索池")
        manager.locator(f'[data-testid="edit-pool-button"][data-pool-id="{pool_id}"]').click()
        expect(manager.get_by_test_id("pool-form")).to_contain_text("每日领取上限")
        screenshot(manager, "pool-rules-manager-pools-zh")
        manager.get_by_test_id("language-en").click()  # the language is saved per user: put it back
        expect(manager.get_by_test_id("pools-page")).to_contain_text("Pools")
    except BaseException:
        for name, page in pages.items():
            try:
                screenshot(page, f"pool-rules-{name}-failure")
            except Exception:
                pass
        raise
