"""An executive builds a report in the browser, sees its live preview, saves it and puts it on a board.

Runs against the real system (the running_system fixture from tests/conftest.py) in Debian's Chromium via
Playwright. The figures come from deals made through the API as the demo users manager and rep1 (leads
converted into opportunities, two of them won), which reach reporting as events. The system is shared by the
session, so the report is narrowed to this run's deals by a filter on their names, made in the builder.
The executive is a user the admin creates here (the demo users have no executive).
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import requests

from crm_shared.testing import poll

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000
EXECUTIVE_PASSWORD = "exec-secret-1"


def make_deal(api: str, manager: dict, rep: dict, rep_id: str, company: str, amount: str, won: bool) -> str:
    """A lead given to rep1 and converted with a deal of `amount` (then won when `won`); the deal's id."""
    lead = requests.post(f"{api}/leads", json={"company": company, "contact_name": "Pat Buyer", "channel": "web",
                                               "allow_duplicate": True}, headers=manager, timeout=10)
    assert lead.ok, lead.text
    lead = lead.json()
    given = requests.post(f"{api}/pools/{lead['pool_id']}/distribute",
                          json={"lead_ids": [lead["id"]], "owner_id": rep_id}, headers=manager, timeout=10)
    assert given.ok, given.text
    deal = {"name": f"{company} deal", "amount": amount, "currency": "CNY", "expected_close_date": "2027-03-31"}
    converted = requests.post(f"{api}/leads/{lead['id']}/convert", json={"opportunity": deal}, headers=rep, timeout=10)
    assert converted.status_code == 200, converted.text
    customer = poll(
        lambda: requests.get(f"{api}/customers", params={"lead_id": lead["id"]}, headers=rep, timeout=10).json(),
        lambda body: body.get("total") == 1, what="the customer made of the converted lead")["items"][0]
    [opportunity] = poll(
        lambda: requests.get(f"{api}/customers/{customer['id']}/opportunities", headers=rep, timeout=10).json()["items"],
        lambda items: len(items) == 1, what="the customer's opportunity")
    if won:
        win(api, rep, opportunity["id"])
    return opportunity["id"]


def win(api: str, rep: dict, opportunity_id: str) -> None:
    closed = requests.post(f"{api}/opportunities/{opportunity_id}/close", json={"outcome": "won"}, headers=rep, timeout=10)
    assert closed.status_code == 200, closed.text


def figures_by_status(api: str, headers: dict, run: str) -> dict[str, str]:
    """Reporting's sum of this run's deal amounts per status, as the executive's preview computes it."""
    definition = {
        "dataset": "opportunities",
        "dimensions": [{"field": "status"}],
        "measures": [{"key": "sum_amount", "aggregate": "sum", "field": "amount"}],
        "filters": {"field": "name", "op": "contains", "value": run},
    }
    response = requests.post(f"{api}/reports/preview", json={"definition": definition}, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return {row["status"]: row["sum_amount"] for row in response.json()["rows"]}


def test_an_executive_builds_a_chart_report_saves_it_and_sees_it_live_on_a_board(
    running_system, new_context, screenshot, api_call, api_login
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    api = base_url + "/api/v1"
    run = uuid.uuid4().hex[:8]
    username = f"exec-{run}"
    admin_token = api_login(base_url, "admin")
    api_call(base_url, "POST", "/api/v1/users", {"username": username, "password": EXECUTIVE_PASSWORD,
                                                 "display_name": f"Erin Executive {run}", "roles": ["executive"]},
             token=admin_token)
    executive = running_system.login(username, EXECUTIVE_PASSWORD)
    manager, rep = running_system.login("manager"), running_system.login("rep1")
    users = requests.get(f"{api}/users", headers=manager, timeout=10).json()["items"]
    rep_id = next(u["id"] for u in users if u["username"] == "rep1")

    # Two deals won (12,345.00 + 6,789.00 = 19,134.00) and one still open (5,000.00).
    make_deal(api, manager, rep, rep_id, f"Alpha {run}", "12345.00", won=True)
    make_deal(api, manager, rep, rep_id, f"Beta {run}", "6789.00", won=True)
    open_deal = make_deal(api, manager, rep, rep_id, f"Gamma {run}", "5000.00", won=False)
    poll(lambda: figures_by_status(api, executive, run), lambda f: f == {"won": "19134.00", "open": "5000.00"},
         what="this run's deals in reporting", timeout=30)

    page = new_context().new_page()
    try:
        page.goto(base_url + "/login")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(EXECUTIVE_PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("current-user")).to_be_visible(timeout=TIMEOUT_MS)

        # The builder: opportunities, grouped by status, the sum of their amounts, this run's deals only.
        page.get_by_test_id("nav-reports").click()
        expect(page.get_by_test_id("reports-page")).to_be_visible()
        page.get_by_test_id("new-report").click()
        expect(page.get_by_test_id("report-builder-page")).to_be_visible()
        preview = page.get_by_test_id("builder-preview")
        expect(preview).to_have_attribute("data-state", "incomplete")
        page.get_by_test_id("builder-dataset").select_option("opportunities")
        page.get_by_test_id("builder-add-dimension").click()
        page.get_by_test_id("dimension-field").select_option("status")
        page.get_by_test_id("builder-add-measure").click()
        measure = page.get_by_test_id("measure-row").nth(0)
        measure.get_by_test_id("measure-aggregate").select_option("sum")
        measure.get_by_test_id("measure-field").select_option("amount")
        measure.get_by_test_id("measure-label").fill("Amount")
        page.get_by_test_id("builder-filters-add-condition").click()
        page.get_by_test_id("builder-filters-0-field").select_option("name")
        page.get_by_test_id("builder-filters-0-op").select_option("contains")
        page.get_by_test_id("builder-filters-0-value").fill(run)
        # A run-time filter on the status, without a default: whoever runs the report may narrow it.
        page.get_by_test_id("builder-add-parameter").click()
        page.get_by_test_id("parameter-key").fill("only_status")
        page.get_by_test_id("parameter-label").fill("Only status")
        page.get_by_test_id("parameter-0-field").select_option("status")
        page.get_by_test_id("parameter-0-op").select_option("eq")

        # A measure with a typo: the preview says what is wrong, inline; corrected, it is counted.
        page.get_by_test_id("builder-add-measure").click()
        average = page.get_by_test_id("measure-row").nth(1)
        average.get_by_test_id("measure-mode").select_option("expression")
        average.get_by_test_id("measure-key").fill("avg_deal")
        average.get_by_test_id("measure-label").fill("Average deal")
        average.get_by_test_id("measure-expression").fill("sum(amout) / count()")
        expect(page.get_by_test_id("preview-error")).to_contain_text("unknown field `amout`", timeout=TIMEOUT_MS)
        expect(preview).to_have_attribute("data-state", "error")
        screenshot(page, "report-builder-error")
        average.get_by_test_id("measure-expression").fill("sum(amount) / count()")
        expect(page.get_by_test_id("preview-error")).to_have_count(0, timeout=TIMEOUT_MS)

        # The table first, then a bar chart of the amount per status.
        won_row = preview.get_by_test_id("report-row").filter(has_text="won")
        expect(won_row).to_contain_text("19,134.00", timeout=TIMEOUT_MS)
        expect(won_row).to_contain_text("9,567")
        expect(preview.get_by_test_id("report-row").filter(has_text="open")).to_contain_text("5,000.00")
        page.get_by_test_id("layout-chart").click()
        page.get_by_test_id("chart-type").select_option("bar")
        expect(page.get_by_test_id("chart-category")).to_have_value("status")
        chart = preview.get_by_test_id("report-chart")
        expect(chart).to_have_attribute("data-chart-type", "bar", timeout=TIMEOUT_MS)
        # The bars' figures are drawn as text on the chart, and said in its label for screen readers.
        expect(chart).to_have_attribute("aria-label", re.compile(r"Amount: (won 19,134, open 5,000|open 5,000, won 19,134)$"))
        expect(chart).to_contain_text("19,134")
        expect(chart).to_contain_text("Amount")
        screenshot(page, "report-builder-chart")

        # Saved under a name, it opens as a report of its own.
        page.get_by_test_id("builder-save").click()
        dialog = page.get_by_test_id("report-save-dialog")
        report_name = f"Deals by status {run}"
        dialog.get_by_test_id("report-name").fill(report_name)
        dialog.get_by_test_id("report-description").fill("This run's deals")
        dialog.get_by_test_id("report-save-submit").click()
        expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]+$"), timeout=TIMEOUT_MS)
        report_id = page.url.rsplit("/", 1)[1]
        expect(page.get_by_test_id("report-title")).to_have_text(report_name)
        expect(page.get_by_test_id("report-chart")).to_contain_text("19,134", timeout=TIMEOUT_MS)
        saved = requests.get(f"{api}/reports/{report_id}", headers=executive, timeout=10).json()
        assert saved["layout"]["chart"] == {"type": "bar", "category": "status", "values": ["sum_amount"]}
        assert [m["key"] for m in saved["definition"]["measures"]] == ["sum_amount", "avg_deal"]
        screenshot(page, "report-result")

        # Run for the won deals only, then exported as CSV with the same run-time filter.
        page.get_by_test_id("run-only_status-value").fill("won")
        page.get_by_test_id("report-apply").click()
        expect(page.get_by_test_id("report-chart")).to_have_attribute("aria-label", re.compile(r"Amount: won 19,134$"),
                                                                      timeout=TIMEOUT_MS)
        with page.expect_download() as download:
            page.get_by_test_id("report-export-csv").click()
        exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert "19134.00" in exported and "5000.00" not in exported, exported

        # Edited (a versioned write): the measure renamed, the report keeps its name and shows the new label.
        page.get_by_test_id("report-edit").click()
        expect(page.get_by_test_id("report-builder-page")).to_be_visible()
        renamed = page.get_by_test_id("measure-row").nth(0).get_by_test_id("measure-label")
        expect(renamed).to_have_value("Amount", timeout=TIMEOUT_MS)
        renamed.fill("Deal amount")
        expect(page.get_by_test_id("builder-preview").get_by_test_id("report-chart")).to_contain_text("Deal amount",
                                                                                                     timeout=TIMEOUT_MS)
        page.get_by_test_id("builder-save").click()
        expect(page.get_by_test_id("report-name")).to_have_value(report_name)
        page.get_by_test_id("report-save-submit").click()
        expect(page).to_have_url(re.compile(f"/reports/{report_id}$"), timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("report-chart")).to_contain_text("Deal amount", timeout=TIMEOUT_MS)
        assert requests.get(f"{api}/reports/{report_id}", headers=executive, timeout=10).json()["version"] == saved["version"] + 1

        # A board with the report as a tile two columns wide shows the same chart.
        page.get_by_test_id("nav-boards").click()
        expect(page.get_by_test_id("boards-page")).to_be_visible()
        page.get_by_test_id("new-board").click()
        dialog = page.get_by_test_id("board-create-dialog")
        board_name = f"Executive board {run}"
        dialog.get_by_test_id("board-name").fill(board_name)
        dialog.get_by_test_id("tile-report").select_option(report_id)
        dialog.get_by_test_id("tile-new-width").select_option("2")
        dialog.get_by_test_id("tile-add").click()
        expect(dialog.get_by_test_id("tile-editor-row")).to_contain_text(report_name)
        dialog.get_by_test_id("board-create-submit").click()
        expect(page.get_by_test_id("board-page")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("board-title")).to_have_text(board_name)
        tile = page.locator(f'[data-testid="board-tile"][data-report-id="{report_id}"]')
        expect(tile).to_contain_text(report_name)
        tile_chart = tile.get_by_test_id("report-chart")
        expect(tile_chart).to_contain_text("19,134", timeout=TIMEOUT_MS)
        expect(tile_chart).to_have_attribute("aria-label", re.compile(r"Deal amount: (won 19,134, open 5,000|open 5,000, won 19,134)$"))
        screenshot(page, "report-board")

        # The open deal is won elsewhere: the board follows without a reload (won 24,134.00, nothing open).
        win(api, rep, open_deal)
        expect(tile_chart).to_have_attribute("aria-label", re.compile(r"Deal amount: won 24,134$"), timeout=TIMEOUT_MS)
        expect(tile_chart).to_contain_text("24,134")
        screenshot(page, "report-board-live")
    except BaseException:
        try:
            screenshot(page, "report-builder-failure")
        except Exception:
            pass
        raise
    finally:
        page.close()


def test_the_dashboards_show_the_period_figures_and_the_executive_one_only_to_those_overseeing(
    running_system, new_context, screenshot, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    api = base_url + "/api/v1"
    run = uuid.uuid4().hex[:8]
    manager, rep = running_system.login("manager"), running_system.login("rep1")
    users = requests.get(f"{api}/users", headers=manager, timeout=10).json()["items"]
    rep_id = next(u["id"] for u in users if u["username"] == "rep1")
    make_deal(api, manager, rep, rep_id, f"Delta {run}", "4321.00", won=True)

    def won_amount(headers: dict) -> str:
        response = requests.get(f"{api}/dashboards/sales", params={"period": "this_month"}, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["totals"]["won_amount"]

    # The deal is counted in the manager's figures (their team's rep won it this month).
    poll(lambda: (won_amount(manager), figures_by_status(api, manager, run)), lambda answer: answer[1] == {"won": "4321.00"},
         what="this run's deal in reporting", timeout=30)
    expected = f"{float(won_amount(manager)):,.2f}"

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "manager", screenshot)
        page.get_by_test_id("nav-dashboards").click()
        expect(page.get_by_test_id("dashboards-page")).to_have_attribute("data-kind", "acquisition")
        expect(page.get_by_test_id("dashboard-kpi-leads_acquired")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("dashboard-tab-executive")).to_be_visible()
        page.get_by_test_id("dashboard-tab-sales").click()
        expect(page.get_by_test_id("dashboards-page")).to_have_attribute("data-kind", "sales")
        expect(page.get_by_test_id("dashboard-kpi-won_amount")).to_contain_text(expected, timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("dashboard-table-byRep").get_by_test_id("dashboard-row").filter(has_text="Riley Rep")).to_be_visible()
        expect(page.get_by_test_id("dashboard-chart-byRep").get_by_test_id("report-chart")).to_be_visible()
        screenshot(page, "dashboards-sales-manager")

        page.get_by_test_id("dashboard-tab-executive").click()
        expect(page.get_by_test_id("dashboard-kpi-revenue")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("dashboard-kpi-payments_collected")).to_be_visible()
        screenshot(page, "dashboards-executive")
    except BaseException:
        try:
            screenshot(page, "dashboards-failure")
        except Exception:
            pass
        raise
    finally:
        page.close()

    # A rep has the other dashboards, of their own records, and no executive one.
    page = new_context().new_page()
    try:
        sign_in(page, base_url, "rep1", screenshot)
        page.get_by_test_id("nav-dashboards").click()
        expect(page.get_by_test_id("dashboard-kpi-leads_acquired")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("dashboard-period")).to_contain_text("Your own records")
        expect(page.get_by_test_id("dashboard-tab-executive")).to_have_count(0)
        page.goto(base_url + "/dashboards/executive")
        expect(page.get_by_test_id("dashboards-page")).to_have_attribute("data-kind", "acquisition", timeout=TIMEOUT_MS)
        expect(page).to_have_url(re.compile(r"/dashboards/acquisition$"))
        screenshot(page, "dashboards-rep")
    finally:
        page.close()
