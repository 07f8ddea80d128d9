"""A payment is recorded: on a signed contract with a payment plan, the rep records a partial payment in
the browser; the installment shows partially paid and the contract's figures follow. A payment beyond what
is still due is refused with the server's message, and nothing changes.

Runs against the real system (the running_system fixture, demo users rep1 and manager of team East) in
Debian's Chromium via Playwright. The signed contract and its plan are set up through the API with names
unique to the run. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_a_rep_records_a_partial_payment_and_a_payment_beyond_what_is_due_is_refused(
    running_system, sales_setup, new_context, screenshot, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    contract = sales_setup.signed_contract_with_plan(f"E2E Payment Co {run}")

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "rep1")
        page.goto(f"{base_url}/contracts/{contract['id']}")
        expect(page.get_by_test_id("contract-page")).to_be_visible()
        expect(page.get_by_test_id("contract-status")).to_have_attribute("data-status", "signed")
        first = page.locator('[data-testid="installment-row"][data-number="1"]')
        second = page.locator('[data-testid="installment-row"][data-number="2"]')
        expect(first).to_have_attribute("data-status", "pending")
        expect(second).to_have_attribute("data-status", "pending")
        expect(page.get_by_test_id("figure-paid")).to_contain_text("0.00")
        expect(page.get_by_test_id("figure-outstanding")).to_contain_text("50,000.00")
        screenshot(page, "payment-recorded-before")

        # -- a partial payment, matched to the oldest installment ----------------------------------------
        page.get_by_test_id("payment-open").click()
        form = page.get_by_test_id("payment-form")
        expect(form).to_contain_text("50,000.00")  # what is still due
        # The form refuses an amount the API would not read before asking the server.
        form.get_by_test_id("payment-amount").fill("12.345")
        form.get_by_test_id("payment-save").click()
        expect(form.get_by_test_id("payment-amount-error")).to_be_visible()
        form.get_by_test_id("payment-amount").fill("5000.50")
        form.get_by_test_id("payment-reference").fill(f"TT-{run}")
        screenshot(page, "payment-recorded-form")
        form.get_by_test_id("payment-save").click()
        expect(page.get_by_test_id("toast-success").filter(has_text="5,000.50")).to_be_visible()
        expect(form).to_have_count(0)

        expect(first).to_have_attribute("data-status", "partially_paid")
        expect(first.get_by_test_id("installment-status")).to_have_text("Partially paid")
        expect(first.get_by_test_id("installment-paid")).to_contain_text("5,000.50")
        expect(first.get_by_test_id("installment-due")).to_contain_text("14,999.50")
        expect(second).to_have_attribute("data-status", "pending")
        expect(page.get_by_test_id("figure-paid")).to_contain_text("5,000.50")
        expect(page.get_by_test_id("figure-outstanding")).to_contain_text("44,999.50")
        payment_rows = page.get_by_test_id("payment-row")
        expect(payment_rows).to_have_count(1)
        expect(payment_rows.first).to_contain_text(f"TT-{run}")
        screenshot(page, "payment-recorded-partial")

        # -- more than is still due: the server refuses, the form shows why, nothing changes -------------
        page.get_by_test_id("payment-open").click()
        form = page.get_by_test_id("payment-form")
        form.get_by_test_id("payment-amount").fill("44999.51")
        form.get_by_test_id("payment-save").click()
        refusal = form.get_by_test_id("payment-form-error")
        expect(refusal).to_contain_text("A payment can never exceed what is still due")
        expect(refusal).to_contain_text("44999.50")
        screenshot(page, "payment-recorded-refused")
        page.get_by_test_id("contract-refresh").click()
        expect(first).to_have_attribute("data-status", "partially_paid")
        expect(first.get_by_test_id("installment-paid")).to_contain_text("5,000.50")
        expect(second).to_have_attribute("data-status", "pending")
        expect(page.get_by_test_id("figure-paid")).to_contain_text("5,000.50")
        expect(page.get_by_test_id("figure-outstanding")).to_contain_text("44,999.50")
        expect(payment_rows).to_have_count(1)
    except BaseException:
        try:
            screenshot(page, "payment-recorded-failure")
        except Exception:
            pass
        raise
