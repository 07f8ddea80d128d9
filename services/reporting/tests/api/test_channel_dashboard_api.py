"""GET /api/v1/dashboards/channels: who may see it, and its shape."""
import pytest

from crm_shared.envelope import Envelope
from crm_shared.testing import contract_with

URL = "/api/v1/dashboards/channels"
ZERO = {"leads_created": 0, "leads_claimed": 0, "leads_converted": 0, "customers": 0, "tickets": 0}


def happened(name: str, occurred_at: str, **payload) -> Envelope:
    envelope = contract_with(name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": occurred_at})


@pytest.mark.parametrize("role", ["admin", "sales_manager", "executive", "service_manager"])
def test_admins_managers_and_executives_see_the_channel_dashboard(client, tokens, role):
    response = client.get(URL, headers=tokens.headers("u-1", [role]))
    assert response.status_code == 200
    assert response.get_json() == {"channels": [], "totals": ZERO, "updated_at": None}


@pytest.mark.parametrize("role", ["sales_rep", "service_agent"])
def test_reps_and_agents_are_refused_in_the_error_shape(client, tokens, role):
    response = client.get(URL, headers=tokens.headers("u-2", [role]))
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == "role_not_allowed"
    assert body["status"] == 403
    assert body["message"]
    assert body["errors"] == {}


def test_the_dashboard_needs_a_token(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.get_json()["code"] == "authentication_required"


def test_the_dashboard_lists_each_channel_sorted_with_totals_and_the_newest_event_time(client, tokens, deliver):
    for channel in ("web", "partner", "web"):
        deliver(happened("leads.lead.created.v1", "2026-11-27T08:00:00Z", channel=channel))
    deliver(happened("leads.lead.claimed.v1", "2026-11-27T09:00:00Z", channel="web"))
    deliver(happened("leads.lead.converted.v1", "2026-11-27T09:30:00Z", channel="web"))
    deliver(happened("sales.customer.created.v1", "2026-11-27T09:31:00Z", channel="web"))
    deliver(happened("service_desk.ticket.opened.v1", "2026-11-28T10:15:00Z", channel="web"))
    deliver(happened("leads.lead.created.v1", "2026-11-27T07:00:00Z", channel="cold_call"))

    response = client.get(URL, headers=tokens.headers("boss", ["executive"]))

    assert response.status_code == 200
    assert response.get_json() == {
        "channels": [
            {"channel": "cold_call", **ZERO, "leads_created": 1},
            {"channel": "partner", **ZERO, "leads_created": 1},
            {
                "channel": "web",
                "leads_created": 2,
                "leads_claimed": 1,
                "leads_converted": 1,
                "customers": 1,
                "tickets": 1,
            },
        ],
        "totals": {"leads_created": 4, "leads_claimed": 1, "leads_converted": 1, "customers": 1, "tickets": 1},
        "updated_at": "2026-11-28T10:15:00+00:00",
    }


def test_the_openapi_document_describes_the_dashboard(client):
    document = client.get("/openapi.json").get_json()
    operation = document["paths"][URL]["get"]
    assert operation["summary"] == "The funnel per acquisition channel, with totals."
    assert "200" in operation["responses"]
