"""Campaigns in the browser: a manager creates a campaign with a target segment, adds a link and a file,
sends the link to the segment and sees the opens and clicks of its deliveries.

Runs against the real system (the running_system fixture from tests/conftest.py, demo user manager,
password "demo") in Debian's Chromium via Playwright. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # count the click; do not follow the link off the closed network


def _visit(url: str) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_manager_sends_campaign_material_to_the_segment_and_sees_opens_and_clicks(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    code = f"e2e-spring-{run}"
    token = api_login(base_url, "manager")
    leads = [
        api_call(base_url, "POST", "/api/v1/leads",
                 {"company": f"E2E Campaign {name} {run}", "contact_name": name, "email": f"{name.lower()}.{run}@example.com",
                  "channel": "event", "campaign": code}, token=token)
        for name in ("Cora", "Cato")
    ]

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "manager")
        page.get_by_test_id("nav-campaigns").click()
        expect(page.get_by_test_id("campaigns-page")).to_be_visible()

        # A new campaign: its target segment is the leads that name its code.
        page.get_by_test_id("new-campaign-button").click()
        form = page.get_by_test_id("campaign-form")
        form.get_by_test_id("campaign-code").fill("spring sale")  # a space is not allowed in a code
        form.get_by_test_id("campaign-save").click()
        expect(form).to_contain_text("Letters, digits")
        form.get_by_test_id("campaign-code").fill(code)
        form.get_by_test_id("campaign-name").fill(f"Spring fair {run}")
        form.get_by_test_id("campaign-channel").select_option("event")
        form.get_by_test_id("campaign-budget").fill("12000.50")
        segment_codes = form.get_by_test_id("campaign-segment-campaigns").locator("input")
        segment_codes.fill(code)
        segment_codes.press("Enter")
        screenshot(page, "campaigns-form")
        form.get_by_test_id("campaign-save").click()
        expect(page.get_by_test_id("toast-success").filter(has_text=f"Spring fair {run}")).to_be_visible()
        row = page.locator(f'[data-testid="campaign-row"][data-code="{code}"]')
        expect(row).to_contain_text("12,000.50")
        expect(row).to_contain_text(code)

        # The new campaign's materials: a link and an uploaded file.
        panel = page.get_by_test_id("materials-panel")
        expect(panel).to_be_visible()
        panel.get_by_test_id("add-link-button").click()
        panel.get_by_test_id("material-name").fill("Brochure")
        panel.get_by_test_id("material-url").fill(f"https://example.com/brochure-{run}")
        panel.get_by_test_id("material-save").click()
        expect(panel.locator('[data-testid="material-row"][data-kind="link"]')).to_contain_text("Brochure")
        panel.get_by_test_id("add-file-button").click()
        panel.get_by_test_id("material-file").set_input_files(
            {"name": "price-list.txt", "mimeType": "text/plain", "buffer": f"Prices {run}".encode()})
        expect(panel.get_by_test_id("material-name")).to_have_value("price-list")
        panel.get_by_test_id("material-save").click()
        expect(panel.locator('[data-testid="material-row"][data-kind="file"]')).to_contain_text("price-list.txt")
        screenshot(page, "campaigns-materials")

        # Send the link to the campaign's segment: one tracked delivery per lead.
        link_row = panel.locator('[data-testid="material-row"][data-kind="link"]')
        link_row.get_by_test_id("distribute-material-button").click()
        dialog = page.get_by_test_id("distribute-material-dialog")
        expect(dialog.get_by_test_id("distribute-segment-campaigns")).to_contain_text(code)  # the campaign's segment
        screenshot(page, "campaigns-distribute")
        dialog.get_by_test_id("distribute-material-submit").click()
        expect(page.get_by_test_id("toast-success").filter(has_text="sent to 2 leads")).to_be_visible()
        deliveries = page.get_by_test_id("deliveries-dialog")
        expect(deliveries.get_by_test_id("deliveries-total")).to_have_text("2")
        expect(deliveries.get_by_test_id("delivery-row")).to_have_count(2)

        # Cora opens the e-mail and clicks the link (public tracking URLs, no account).
        material_id = link_row.get_attribute("data-material-id")
        sent = api_call(base_url, "GET", f"/api/v1/materials/{material_id}/deliveries", token=token)["items"]
        cora = next(d for d in sent if d["lead_id"] == leads[0]["id"])
        assert (cora["company"], cora["contact_name"]) == (f"E2E Campaign Cora {run}", "Cora")
        assert _visit(base_url + cora["open_pixel_url"]) == 200
        assert _visit(base_url + cora["tracking_url"]) == 302
        page.keyboard.press("Escape")
        # The list names each lead itself: the dialog asks for no lead one by one.
        lead_requests = []
        page.on("request", lambda request: "/api/v1/leads/" in request.url and lead_requests.append(request.url))
        link_row.get_by_test_id("deliveries-button").click()
        cora_row = deliveries.locator(f'[data-testid="delivery-row"][data-lead-id="{leads[0]["id"]}"]')
        expect(cora_row).to_have_attribute("data-opens", "1")
        expect(cora_row).to_have_attribute("data-clicks", "1")
        expect(cora_row.get_by_test_id("delivery-company")).to_have_text(f"E2E Campaign Cora {run}")
        expect(cora_row.get_by_test_id("delivery-contact")).to_have_text("Cora")
        cato_row = deliveries.locator(f'[data-testid="delivery-row"][data-lead-id="{leads[1]["id"]}"]')
        expect(cato_row).to_have_attribute("data-clicks", "0")
        screenshot(page, "campaigns-deliveries")
        assert lead_requests == []
    except BaseException:
        try:
            screenshot(page, "campaigns-failure")
        except Exception:
            pass
        raise
