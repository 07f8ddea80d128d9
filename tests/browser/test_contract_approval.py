"""A manager approves the contract: the rep drafts a contract from an order and submits it, the manager
finds it on the approvals to-do list and approves it, and the rep sees it approved.

Runs against the real system (the running_system fixture, demo users rep1 and manager of team East) in
Debian's Chromium via Playwright. The order is set up through the API with names unique to the run.
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import uuid

import pytest
import requests

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000


def rename_behind_the_page(sales_setup, contract_id: str, title: str) -> None:
    """Change a draft's title through the API, as another tab or colleague would."""
    path = f"/contracts/{contract_id}"
    renamed = requests.patch(f"{sales_setup.api}{path}", json={"title": title},
                             headers=sales_setup.if_match(path, "rep1"), timeout=10)
    assert renamed.status_code == 200, renamed.text


def test_a_manager_approves_the_contract_a_rep_drafted_and_submitted(
    running_system, sales_setup, new_context, screenshot, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    company = f"E2E Contract Co {run}"
    title = f"Service agreement {run}"
    order = sales_setup.placed_order(company, "36000.00")

    rep = new_context().new_page()
    manager = new_context().new_page()
    pages = {"rep": rep, "manager": manager}
    try:
        # -- the rep drafts a contract from the order and submits it -----------------------------------
        sign_in(rep, base_url, "rep1")
        rep.goto(f"{base_url}/orders/{order['id']}")
        expect(rep.get_by_test_id("order-page")).to_be_visible()
        expect(rep.get_by_test_id("order-total")).to_contain_text("36,000.00")
        expect(rep.get_by_test_id("order-line")).to_have_count(1)
        screenshot(rep, "contract-approval-order")
        rep.get_by_test_id("draft-contract-button").click()
        form = rep.get_by_test_id("contract-draft-form")
        # The form says what is missing before asking the server.
        form.get_by_test_id("contract-draft-save").click()
        expect(form.locator(".field-error")).to_contain_text("Required")
        form.get_by_test_id("contract-title").fill(title)
        form.get_by_test_id("contract-draft-save").click()

        expect(rep.get_by_test_id("contract-page")).to_be_visible()
        expect(rep.get_by_test_id("contract-title")).to_contain_text(title)
        expect(rep.get_by_test_id("contract-status")).to_have_attribute("data-status", "draft")
        expect(rep.get_by_test_id("figure-amount")).to_contain_text("36,000.00")
        contract_id = rep.url.rstrip("/").split("/")[-1]
        screenshot(rep, "contract-approval-draft")

        # Someone else changes the draft meanwhile: the page's write names the version it read, is refused
        # (412), says so plainly, and goes through once the page shows the contract as it now is.
        rename_behind_the_page(sales_setup, contract_id, f"{title} v2")
        rep.get_by_test_id("contract-submit").click()
        expect(rep.get_by_test_id("toast-error").filter(has_text="Someone changed this")).to_be_visible()
        expect(rep.get_by_test_id("contract-title")).to_contain_text(f"{title} v2")
        expect(rep.get_by_test_id("contract-status")).to_have_attribute("data-status", "draft")
        rep.get_by_test_id("contract-submit").click()
        expect(rep.get_by_test_id("toast-success").filter(has_text="Submitted for approval")).to_be_visible()
        expect(rep.get_by_test_id("contract-status")).to_have_attribute("data-status", "pending_approval")
        expect(rep.get_by_test_id("approval-status")).to_contain_text("Pending")
        # A rep has nothing to approve of their own.
        expect(rep.get_by_test_id("contract-submit")).to_have_count(0)

        # -- the manager finds it on the to-do list and approves it ------------------------------------
        sign_in(manager, base_url, "manager")
        expect(manager.get_by_test_id("approvals-nav-count")).to_be_visible()
        manager.get_by_test_id("nav-approvals").click()
        expect(manager.get_by_test_id("approvals-page")).to_be_visible()
        row = manager.locator(f'[data-testid="approval-row"][data-subject-id="{contract_id}"]')
        expect(row).to_be_visible(timeout=TIMEOUT_MS)
        expect(row).to_have_attribute("data-kind", "contract")
        expect(row.get_by_test_id("approval-subject")).to_contain_text(f"{title} v2")
        expect(row.get_by_test_id("approval-amount")).to_contain_text("36,000.00")
        expect(row.get_by_test_id("approval-customer")).to_contain_text(company)
        expect(row.get_by_test_id("approval-requester")).to_contain_text("Riley Rep")
        screenshot(manager, "contract-approval-todo")
        # Rejecting needs a comment: the dialog says so and nothing is sent.
        row.get_by_test_id("approval-reject").click()
        dialog = manager.get_by_test_id("approval-decision-dialog")
        dialog.get_by_test_id("approval-decision-save").click()
        expect(dialog.locator(".field-error")).to_be_visible()
        manager.keyboard.press("Escape")
        expect(dialog).to_have_count(0)

        row.get_by_test_id("approval-approve").click()
        dialog = manager.get_by_test_id("approval-decision-dialog")
        dialog.get_by_test_id("approval-comment").fill(f"Terms fine {run}")
        screenshot(manager, "contract-approval-decision")
        dialog.get_by_test_id("approval-decision-save").click()
        expect(manager.get_by_test_id("toast-success").filter(has_text="Approved")).to_be_visible()
        expect(row).to_have_count(0)

        # -- the rep sees the contract approved, with the manager's comment in the trail ---------------
        rep.get_by_test_id("contract-refresh").click()
        expect(rep.get_by_test_id("contract-status")).to_have_attribute("data-status", "approved")
        expect(rep.get_by_test_id("approval-status")).to_contain_text("Approved")
        approved = rep.locator('[data-testid="approval-entry"][data-decision="approved"]')
        expect(approved).to_contain_text(f"Terms fine {run}")
        expect(rep.get_by_test_id("contract-sign")).to_be_visible()
        screenshot(rep, "contract-approval-approved")
        rep.get_by_test_id("nav-contracts").click()
        listed = rep.locator(f'[data-testid="contracts-row"][data-contract-id="{contract_id}"]')
        expect(listed).to_have_attribute("data-status", "approved")
        expect(listed).to_contain_text(company)
    except BaseException:
        for name, page in pages.items():
            try:
                screenshot(page, f"contract-approval-failure-{name}")
            except Exception:
                pass
        raise
