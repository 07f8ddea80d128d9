"""Importing leads in the browser: a manager uploads a CSV with one bad row, sees it in the dry run, imports the rest.

The real run is queued by the API and run by the leads worker; the page follows its job to the end.

Runs against the real system (the running_system fixture from tests/conftest.py, demo user manager,
password "demo") in Debian's Chromium via Playwright. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import random
import urllib.parse
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000


def test_a_manager_checks_a_csv_sees_the_bad_row_and_imports_the_good_ones(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    digits = random.randint(1000, 9999)
    csv_text = (
        "Company,Contact,Phone,Email,Channel\n"
        f"Import Alpha {run},Ann Alpha,+1 555 {digits} 0001,ann.{run}@example.com,web\n"
        f"Import Beta {run},Ben Beta,+1 555 {digits} 0002,not-an-email,referral\n"
        f"Import Gamma {run},Gus Gamma,+1 555 {digits} 0003,gus.{run}@example.com,\n"
    )

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "manager")
        page.get_by_test_id("nav-imports").click()
        expect(page.get_by_test_id("import-page")).to_be_visible()

        page.get_by_test_id("import-file").set_input_files(
            {"name": f"leads-{run}.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
        )
        # The header is read in the browser and each column is mapped to the field its name says.
        expect(page.get_by_test_id("mapping-row")).to_have_count(5)
        for column, field in [("Company", "company"), ("Contact", "contact_name"), ("Phone", "phone"),
                              ("Email", "email"), ("Channel", "channel")]:
            select = page.locator(f'[data-testid="mapping-row"][data-column="{column}"]').get_by_test_id("mapping-select")
            expect(select).to_have_value(field)
        # Gamma has no channel: the default channel fills it in.
        page.get_by_test_id("import-default-channel").select_option("event")
        screenshot(page, "import-mapping")

        # The dry run names the bad row, its column and why, and imports nothing.
        page.get_by_test_id("import-dry-run").click()
        report = page.get_by_test_id("dry-run-report")
        expect(report).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("dry-run-total")).to_have_text("3")
        expect(page.get_by_test_id("dry-run-invalid")).to_have_text("1")
        expect(page.get_by_test_id("dry-run-create")).to_have_text("2")
        bad = page.get_by_test_id("import-error-row")
        expect(bad).to_have_count(1)
        expect(bad).to_have_attribute("data-row", "3")
        expect(bad).to_contain_text("Email")
        expect(bad).to_contain_text("Not a valid e-mail address")
        screenshot(page, "import-dry-run")
        token = api_login(base_url, "manager")
        assert _found(api_call, base_url, token, f"Import Alpha {run}") == 0

        # The real run is queued (202) and run by the leads worker; the page polls the job, whose
        # progress bar reaches 100 %, and the final report counts what happened.
        polls = []
        page.on("request", lambda request: "/api/v1/leads/imports/" in request.url and polls.append(request.url))
        with page.expect_response(lambda response: response.url.endswith("/api/v1/leads/imports")
                                  and response.request.method == "POST") as posted:
            page.get_by_test_id("import-run").click()
        assert posted.value.status == 202
        queued = posted.value.json()
        assert (queued["status"], queued["total"], queued["processed"]) == ("queued", 3, 0)
        progress = page.get_by_test_id("import-progress")
        expect(progress).to_have_attribute("aria-valuenow", "100", timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("import-status")).to_have_text("Completed")
        expect(page.get_by_test_id("import-created")).to_have_text("2")
        expect(page.get_by_test_id("import-failed")).to_have_text("1")
        expect(page.get_by_test_id("import-error-row")).to_have_attribute("data-row", "3")
        expect(page.get_by_test_id("toast-success").filter(has_text="2 leads created")).to_be_visible()
        screenshot(page, "import-done")
        assert polls and all(url.endswith(f"/api/v1/leads/imports/{queued['id']}") for url in polls)
    except BaseException:
        try:
            screenshot(page, "import-failure")
        except Exception:
            pass
        raise

    # The good rows are leads now (the default channel filled Gamma's); the bad one is not.
    assert _found(api_call, base_url, token, f"Import Alpha {run}") == 1
    assert _found(api_call, base_url, token, f"Import Beta {run}") == 0
    gamma = _search(api_call, base_url, token, f"Import Gamma {run}")
    assert [lead["channel"] for lead in gamma["items"]] == ["event"]


def _search(api_call, base_url: str, token: str, text: str) -> dict:
    query = urllib.parse.urlencode({"q": text})
    return api_call(base_url, "GET", f"/api/v1/leads/search?{query}", token=token)


def _found(api_call, base_url: str, token: str, company: str) -> int:
    page = _search(api_call, base_url, token, company)
    return sum(1 for lead in page["items"] if lead["company"] == company)

