"""A rep wins a deal in the browser: opens it on their customer, drags it across the kanban, marks it won.

Runs against the real system (the running_system fixture from tests/conftest.py, with the demo users rep1
and manager of team East, password "demo") in Debian's Chromium via Playwright. Every stage move is a
real drag of the card (Playwright's drag_to: mouse down, move, up), never a call to the API.
Screenshots of every page visited go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
import requests

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000


def change_amount_elsewhere(sales_setup, opportunity_id: str, amount: str) -> None:
    """Another session edits the deal (a versioned write, with the If-Match of the version it read).

    An edit, not a stage move: the board reloads a card live when its deal moves, not when it is edited.
    """
    path = f"/opportunities/{opportunity_id}"
    changed = requests.patch(f"{sales_setup.api}{path}", json={"amount": amount},
                             headers=sales_setup.if_match(path, "rep1"), timeout=10)
    assert changed.status_code == 200, changed.text


def test_a_rep_drags_a_new_deal_across_the_kanban_wins_it_and_the_manager_sees_it_won(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    manager_token = api_login(base_url, "manager")
    rep_token = api_login(base_url, "rep1")
    product = api_call(
        base_url, "POST", "/api/v1/products",
        {"sku": f"E2E-WIN-{run}", "name": f"Seat licence {run}", "unit_price": "1200.00", "currency": "CNY"},
        token=manager_token,
    )
    customer = api_call(base_url, "POST", "/api/v1/customers", {"name": f"E2E Winning Co {run}"}, token=rep_token)
    stages = api_call(base_url, "GET", "/api/v1/pipeline/stages", token=rep_token)["items"]
    open_stages = [s for s in sorted(stages, key=lambda s: s["position"]) if not s["is_won"] and not s["is_lost"]]
    won_stage = next(s for s in stages if s["is_won"])
    deal_name = f"Fleet renewal {run}"
    today = datetime.now(timezone.utc).date()

    page = new_context().new_page()
    try:
        # The rep opens their customer and opens a deal on it, priced from the catalogue.
        sign_in(page, base_url, "rep1", screenshot)
        page.goto(f"{base_url}/customers/{customer['id']}")
        expect(page.get_by_test_id("customer-name")).to_have_text(customer["name"])

        # First the customer's record: an industry (a versioned edit) and a contact.
        page.get_by_test_id("customer-edit").click()
        page.get_by_test_id("customer-edit-industry").fill("Logistics")
        page.get_by_test_id("customer-edit-save").click()
        expect(page.get_by_test_id("toast-success").filter(has_text="Customer saved")).to_be_visible()
        page.get_by_test_id("add-contact").click()
        page.get_by_test_id("contact-name").fill(f"Casey Buyer {run}")
        page.get_by_test_id("contact-email").fill(f"casey.{run}@example.com")
        page.get_by_test_id("contact-save").click()
        expect(page.get_by_test_id("contact-row")).to_contain_text(f"Casey Buyer {run}")
        record = api_call(base_url, "GET", f"/api/v1/customers/{customer['id']}", token=rep_token)
        assert record["industry"] == "Logistics"
        assert [(c["name"], c["is_primary"]) for c in record["contacts"]] == [(f"Casey Buyer {run}", True)]

        page.get_by_test_id("new-opportunity").click()
        form = page.get_by_test_id("opportunity-form")
        form.get_by_test_id("opportunity-name-input").fill(deal_name)
        form.get_by_test_id("opportunity-close-date").fill(today.isoformat())
        expect(form.get_by_test_id("add-line")).to_be_enabled()
        form.get_by_test_id("add-line").click()
        form.get_by_test_id("line-product").select_option(product["id"])
        form.get_by_test_id("line-quantity").fill("2")
        form.get_by_test_id("line-discount").fill("400")
        expect(form.get_by_test_id("opportunity-lines-total")).to_contain_text("2,000.00")
        screenshot(page, "rep-wins-deal-new-opportunity")
        form.get_by_test_id("opportunity-submit").click()
        row = page.get_by_test_id("opportunity-row").filter(has_text=deal_name)
        expect(row).to_be_visible(timeout=TIMEOUT_MS)
        expect(row).to_have_attribute("data-status", "open")
        expect(row).to_contain_text("2,000.00")
        deal_id = row.get_attribute("data-opportunity-id")
        screenshot(page, "rep-wins-deal-customer-page")

        # On the kanban (narrowed to this customer) the deal starts in the first stage.
        page.get_by_test_id("customer-kanban-link").click()
        expect(page.get_by_test_id("pipeline-page")).to_be_visible()
        card = page.locator(f'[data-testid="pipeline-card"][data-opportunity-id="{deal_id}"]')
        column = lambda key: page.locator(f'[data-testid="pipeline-column"][data-stage="{key}"]')  # noqa: E731
        expect(column(open_stages[0]["key"]).locator(card)).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.locator(f'[data-testid="forecast-row"][data-month="{today:%Y-%m}"]')).to_contain_text("2,000.00")
        screenshot(page, "rep-wins-deal-kanban-start")

        # Dragged one stage at a time to the last open stage; each drop is saved before the next drag.
        for stage in open_stages[1:]:
            card.drag_to(column(stage["key"]))
            expect(column(stage["key"]).locator(card)).to_be_visible(timeout=TIMEOUT_MS)
            expect(card).to_have_attribute("data-stage", stage["key"])
            expect(card).to_have_attribute("draggable", "true")
        screenshot(page, "rep-wins-deal-kanban-last-open-stage")

        # Dropped on Won, the deal is closed through the dialog and leaves the open board.
        card.drag_to(column(won_stage["key"]))
        dialog = page.get_by_test_id("opportunity-close-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_test_id("close-reason").fill("Signed after the pilot")
        screenshot(page, "rep-wins-deal-won-dialog")
        dialog.get_by_test_id("close-submit").click()
        expect(page.get_by_test_id("toast-success").filter(has_text=f"{deal_name} is won")).to_be_visible()
        expect(card).to_have_count(0)

        # The customer page shows the deal won.
        page.goto(f"{base_url}/customers/{customer['id']}")
        row = page.locator(f'[data-testid="opportunity-row"][data-opportunity-id="{deal_id}"]')
        expect(row).to_have_attribute("data-status", "won", timeout=TIMEOUT_MS)
        expect(row.get_by_test_id("opportunity-row-status")).to_have_text("Won")
        screenshot(page, "rep-wins-deal-customer-won")

        # And its stage history records every move, by the rep.
        row.get_by_test_id("opportunity-link").click()
        expect(page.get_by_test_id("opportunity-status")).to_have_text("Won")
        expect(page.get_by_test_id("history-row")).to_have_count(len(open_stages) + 1)
        expect(page.get_by_test_id("line-row")).to_contain_text(product["sku"])
        screenshot(page, "rep-wins-deal-opportunity-page")

        # The won deal becomes an order, priced from its lines.
        page.get_by_test_id("create-order").click()
        expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]+$"))
        orders = api_call(base_url, "GET", f"/api/v1/orders?opportunity_id={deal_id}", token=rep_token)["items"]
        assert len(orders) == 1 and page.url.endswith(f"/orders/{orders[0]['id']}")
        assert orders[0]["total"] in ("2000.00", "2000")
    except BaseException:
        try:
            screenshot(page, "rep-wins-deal-failure")
        except Exception:
            pass
        raise

    # The manager of the rep's team sees the won deal on their team's board.
    manager_page = new_context().new_page()
    try:
        sign_in(manager_page, base_url, "manager", screenshot)
        manager_page.get_by_test_id("nav-pipeline").click()
        expect(manager_page.get_by_test_id("pipeline-page")).to_be_visible()
        manager_page.goto(f"{base_url}/pipeline?customer={customer['id']}")
        manager_page.get_by_test_id("pipeline-team").select_option(label="East")
        manager_page.get_by_test_id("pipeline-include-closed").check()
        won_card = manager_page.locator(
            f'[data-testid="pipeline-column"][data-stage="{won_stage["key"]}"] '
            f'[data-testid="pipeline-card"][data-opportunity-id="{deal_id}"]'
        )
        expect(won_card).to_be_visible(timeout=TIMEOUT_MS)
        expect(won_card).to_have_attribute("data-status", "won")
        expect(won_card).to_contain_text(deal_name)
        screenshot(manager_page, "rep-wins-deal-manager-kanban")
    except BaseException:
        try:
            screenshot(manager_page, "rep-wins-deal-manager-failure")
        except Exception:
            pass
        raise


def test_a_drag_of_a_deal_someone_else_changed_meanwhile_reloads_the_card_and_says_so(
    running_system, sales_setup, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    rep_token = api_login(base_url, "rep1")
    customer = api_call(base_url, "POST", "/api/v1/customers", {"name": f"E2E Stale Board Co {run}"}, token=rep_token)
    deal = api_call(base_url, "POST", f"/api/v1/customers/{customer['id']}/opportunities",
                    {"name": f"Stale deal {run}", "amount": "500.00", "currency": "CNY"}, token=rep_token)
    stages = api_call(base_url, "GET", "/api/v1/pipeline/stages", token=rep_token)["items"]
    first, second, _, fourth = [s["key"] for s in sorted(stages, key=lambda s: s["position"])
                                if not s["is_won"] and not s["is_lost"]][:4]

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "rep1")
        page.goto(f"{base_url}/pipeline?customer={customer['id']}")
        card = page.locator(f'[data-testid="pipeline-card"][data-opportunity-id="{deal["id"]}"]')
        column = lambda key: page.locator(f'[data-testid="pipeline-column"][data-stage="{key}"]')  # noqa: E731
        expect(column(first).locator(card)).to_be_visible(timeout=TIMEOUT_MS)

        # Meanwhile the deal is edited elsewhere; the board still shows the version it read.
        change_amount_elsewhere(sales_setup, deal["id"], "650.00")
        card.drag_to(column(second))
        expect(page.get_by_test_id("pipeline-stale")).to_contain_text("changed by someone else")
        expect(card).to_contain_text("650.00", timeout=TIMEOUT_MS)
        expect(column(first).locator(card)).to_be_visible()
        expect(column(second).locator(card)).to_have_count(0)
        screenshot(page, "rep-wins-deal-stale-card")

        # The reloaded card carries the new version: moving it again, this time from its keyboard-friendly
        # "move to stage" menu, is saved.
        card.get_by_test_id("card-move").select_option(fourth)
        expect(column(fourth).locator(card)).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("toast-success").filter(has_text=f"Stale deal {run} moved")).to_be_visible()
        assert api_call(base_url, "GET", f"/api/v1/opportunities/{deal['id']}", token=rep_token)["stage"] == fourth
    except BaseException:
        try:
            screenshot(page, "rep-wins-deal-stale-failure")
        except Exception:
            pass
        raise
