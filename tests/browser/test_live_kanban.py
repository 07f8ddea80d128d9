"""The kanban follows stage moves made elsewhere: a live `sales.opportunity.stage_changed.v1` reloads that card.

Runs against the real system (the running_system fixture, demo user rep1, password "demo") in Debian's
Chromium via Playwright; the move elsewhere is the API call another session would make.
"""

from __future__ import annotations

import uuid

import pytest
import requests

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000


def test_a_deal_moved_in_another_session_moves_on_the_open_board_by_itself(
    running_system, sales_setup, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    rep_token = api_login(base_url, "rep1")
    customer = api_call(base_url, "POST", "/api/v1/customers", {"name": f"E2E Live Board Co {run}"}, token=rep_token)
    deal = api_call(base_url, "POST", f"/api/v1/customers/{customer['id']}/opportunities",
                    {"name": f"Live deal {run}", "amount": "700.00", "currency": "CNY"}, token=rep_token)
    stages = api_call(base_url, "GET", "/api/v1/pipeline/stages", token=rep_token)["items"]
    first, second, third = [s["key"] for s in sorted(stages, key=lambda s: s["position"])
                            if not s["is_won"] and not s["is_lost"]][:3]

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "rep1")
        page.goto(f"{base_url}/pipeline?customer={customer['id']}")
        card = page.locator(f'[data-testid="pipeline-card"][data-opportunity-id="{deal["id"]}"]')
        column = lambda key: page.locator(f'[data-testid="pipeline-column"][data-stage="{key}"]')  # noqa: E731
        expect(column(first).locator(card)).to_be_visible(timeout=TIMEOUT_MS)

        # Another session moves the deal; this board is not touched and not reloaded.
        path = f"/opportunities/{deal['id']}"
        moved = requests.post(f"{sales_setup.api}{path}/stage", json={"stage": second},
                              headers=sales_setup.if_match(path, "rep1"), timeout=10)
        assert moved.status_code == 200, moved.text
        expect(column(second).locator(card)).to_be_visible(timeout=TIMEOUT_MS)
        expect(column(first).locator(card)).to_have_count(0)
        expect(card).to_have_attribute("data-stage", second)
        # The card came as it is now, not as a stale copy: nothing to warn about.
        expect(page.get_by_test_id("pipeline-stale")).to_have_count(0)
        screenshot(page, "live-kanban-card-moved-elsewhere")

        # The card was read again with its new version: moving it on from this board is saved.
        card.get_by_test_id("card-move").select_option(third)
        expect(column(third).locator(card)).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("toast-success").filter(has_text=f"Live deal {run} moved")).to_be_visible()
        expect(page.get_by_test_id("pipeline-stale")).to_have_count(0)
        assert api_call(base_url, "GET", f"/api/v1/opportunities/{deal['id']}", token=rep_token)["stage"] == third
    except BaseException:
        try:
            screenshot(page, "live-kanban-failure")
        except Exception:
            pass
        raise
