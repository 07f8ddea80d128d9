"""Reporting through the gateway: a deal won in sales reaches the read models over the bus, and each viewer's
report and dashboard counts it only if it is within their scope."""
from __future__ import annotations

import uuid

import pytest
import requests

from crm_shared.testing import poll

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def won_deal(running_system, channel: str) -> None:
    """rep1 claims and converts a lead of `channel` and wins its 42,000.00 deal."""
    api = running_system.gateway_url + "/api/v1"
    manager, rep = running_system.login("manager"), running_system.login("rep1")
    lead = requests.post(f"{api}/leads", json={"company": f"报表示例 {channel}", "contact_name": "Lin Yu", "channel": channel,
                                              "campaign": f"{channel}-expo", "allow_duplicate": True}, headers=manager, timeout=10)
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["id"]
    assert requests.post(f"{api}/leads/{lead_id}/claim", headers=rep, timeout=10).status_code == 200
    converted = requests.post(f"{api}/leads/{lead_id}/convert", headers=rep, timeout=10, json={"opportunity": {
        "name": "Reporting check", "amount": "42000.00", "currency": "CNY", "expected_close_date": "2027-03-31"}})
    assert converted.status_code == 200, converted.text
    customers = poll(lambda: requests.get(f"{api}/customers", params={"lead_id": lead_id}, headers=rep, timeout=10).json(),
                     lambda body: body.get("total") == 1, what="the customer of the converted lead")
    customer_id = customers["items"][0]["id"]
    [deal] = requests.get(f"{api}/customers/{customer_id}/opportunities", headers=rep, timeout=10).json()["items"]
    closed = requests.post(f"{api}/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep, timeout=10)
    assert closed.status_code == 200, closed.text


def won_by_owner(running_system, username: str, channel: str) -> list[tuple[str, str, int]]:
    definition = {
        "dataset": "opportunities",
        "dimensions": [{"field": "owner.name", "key": "owner"}, {"field": "lead.campaign", "key": "campaign"}],
        "measures": [{"key": "won", "aggregate": "sum", "field": "amount"}, {"key": "deals", "aggregate": "count"}],
        "filters": {"all": [{"field": "status", "op": "eq", "value": "won"}, {"field": "customer.channel", "op": "eq", "value": channel}]},
    }
    response = requests.post(f"{running_system.gateway_url}/api/v1/reports/preview", timeout=10,
                             json={"definition": definition}, headers=running_system.login(username))
    assert response.status_code == 200, response.text
    return [(row["owner"], row["campaign"], row["won"], row["deals"]) for row in response.json()["rows"]]


def test_a_won_deal_reaches_reports_and_dashboards_within_each_viewers_scope(running_system):
    channel = f"e2e-report-{uuid.uuid4().hex[:8]}"
    won_deal(running_system, channel)
    expected = [("Riley Rep", f"{channel}-expo", "42000.00", 1)]
    assert poll(lambda: won_by_owner(running_system, "manager", channel), lambda rows: rows == expected,
                what="the won deal in the manager's report") == expected
    assert won_by_owner(running_system, "rep1", channel) == expected
    assert won_by_owner(running_system, "rep2", channel) == []  # another rep's deal is not in rep2's figures

    dashboard = requests.get(f"{running_system.gateway_url}/api/v1/dashboards/acquisition", params={"period": "this_month"},
                             headers=running_system.login("manager"), timeout=10)
    assert dashboard.status_code == 200, dashboard.text
    [row] = [row for row in dashboard.json()["channels"] if row["channel"] == channel]
    assert (row["leads_acquired"], row["leads_claimed"], row["leads_converted"], row["deals_won"], row["won_amount"]) == (
        1, 1, 1, 1, "42000.00")
