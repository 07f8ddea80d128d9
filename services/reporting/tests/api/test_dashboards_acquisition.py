"""GET /api/v1/dashboards/acquisition: the funnel per channel and campaign in a period, in the viewer's scope."""
import pytest

from crm_shared.envelope import Envelope
from crm_shared.testing import contract_with

URL = "/api/v1/dashboards/acquisition?from=2026-10-01&to=2026-10-31"
EAST, WEST = "team-east", "team-west"
REP_A, REP_B, MANAGER, BOSS = "rep-a", "rep-b", "manager-east", "boss"
SPRING = "spring-expo"
ZERO = {"leads_acquired": 0, "leads_claimed": 0, "leads_converted": 0, "customers_created": 0,
        "opportunities_opened": 0, "deals_won": 0, "won_amount": "0.00", "tickets_opened": 0, "conversion_rate": None}


def happened(name: str, occurred_at: str, **payload) -> Envelope:
    envelope = contract_with(name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": occurred_at})


def register(deliver, user_id: str, role: str, team: str | None) -> None:
    deliver(happened(
        "gateway.user.registered.v1", "2026-01-01T00:00:00Z", user_id=user_id, username=user_id, display_name=user_id,
        roles=[role], team_ids=[team] if team else [], teams=[{"id": team, "name": team}] if team else [],
        changed_at="2026-01-01T00:00:00Z"))


def lead(deliver, lead_id: str, created_at: str, channel: str, campaign: str | None, owner: str | None = None,
         claimed_at: str | None = None) -> None:
    deliver(happened("leads.lead.created.v1", created_at, lead_id=lead_id, channel=channel, campaign=campaign,
                     created_at=created_at))
    if owner:
        deliver(happened("leads.lead.claimed.v1", claimed_at, lead_id=lead_id, owner_id=owner, channel=channel,
                         campaign=campaign, claimed_at=claimed_at))


@pytest.fixture
def history(deliver):
    register(deliver, REP_A, "sales_rep", EAST)
    register(deliver, REP_B, "sales_rep", WEST)
    register(deliver, MANAGER, "sales_manager", EAST)
    register(deliver, BOSS, "executive", None)
    # Asia/Shanghai is UTC+8: 15:59:59Z on 31 October is still October there; 16:00Z is 1 November.
    lead(deliver, "l-1", "2026-10-02T01:00:00Z", "web", SPRING, REP_A, "2026-10-03T01:00:00Z")
    lead(deliver, "l-2", "2026-10-31T15:59:59Z", "web", SPRING, REP_B, "2026-10-31T15:59:59Z")
    lead(deliver, "l-3", "2026-10-31T16:00:00Z", "web", SPRING, REP_A, "2026-11-02T01:00:00Z")
    lead(deliver, "l-4", "2026-10-04T01:00:00Z", "partner", None)  # still in the public pool
    lead(deliver, "l-5", "2026-10-06T01:00:00Z", "referral", None, MANAGER, "2026-10-07T01:00:00Z")
    lead(deliver, "l-6", "2026-09-30T15:59:59Z", "web", SPRING, REP_A, "2026-10-01T01:00:00Z")  # created in September
    deliver(happened("leads.lead.converted.v1", "2026-10-05T01:00:00Z", lead_id="l-1", owner_id=REP_A, channel="web",
                     campaign=SPRING, converted_at="2026-10-05T01:00:00Z"))
    deliver(happened("sales.customer.created.v1", "2026-10-05T01:00:01Z", customer_id="c-1", lead_id="l-1",
                     owner_id=REP_A, channel="web", created_at="2026-10-05T01:00:01Z"))
    deliver(happened("sales.opportunity.opened.v1", "2026-10-06T01:00:00Z", opportunity_id="o-1", customer_id="c-1",
                     lead_id="l-1", owner_id=REP_A, amount="8000.00", opened_at="2026-10-06T01:00:00Z"))
    deliver(happened("sales.opportunity.closed.v1", "2026-10-20T01:00:00Z", opportunity_id="o-1", customer_id="c-1",
                     lead_id="l-1", owner_id=REP_A, amount="8000.50", outcome="won", closed_at="2026-10-20T01:00:00Z"))
    deliver(happened("service_desk.ticket.opened.v1", "2026-10-21T01:00:00Z", ticket_id="t-1", customer_id="c-1",
                     customer_owner_id=REP_A, channel="email", opened_at="2026-10-21T01:00:00Z"))


ANNA_SPRING = {**ZERO, "leads_acquired": 1, "leads_claimed": 2, "leads_converted": 1, "customers_created": 1,
               "opportunities_opened": 1, "deals_won": 1, "won_amount": "8000.50", "tickets_opened": 1,
               "conversion_rate": 1.0}


def test_a_rep_sees_the_funnel_of_their_own_leads(client, tokens, history):
    response = client.get(URL, headers=tokens.headers(REP_A, ["sales_rep"], teams=[EAST]))

    assert response.status_code == 200
    body = response.get_json()
    assert body["campaigns"] == [{"channel": "web", "campaign": SPRING, **ANNA_SPRING}]
    assert body["channels"] == [{"channel": "web", **ANNA_SPRING}]
    assert body["totals"] == ANNA_SPRING


def test_the_other_rep_sees_only_the_lead_they_claimed_on_the_last_evening(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(REP_B, ["sales_rep"], teams=[WEST])).get_json()

    assert body["campaigns"] == [{"channel": "web", "campaign": SPRING, **ZERO, "leads_acquired": 1,
                                  "leads_claimed": 1, "conversion_rate": 0.0}]


def test_a_manager_sees_their_teams_leads_but_not_the_pool(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(MANAGER, ["sales_manager"], teams=[EAST])).get_json()

    assert body["campaigns"] == [
        {"channel": "referral", "campaign": None, **ZERO, "leads_acquired": 1, "leads_claimed": 1,
         "conversion_rate": 0.0},
        {"channel": "web", "campaign": SPRING, **ANNA_SPRING},
    ]
    assert body["totals"]["leads_acquired"] == 2


def test_an_executive_sees_every_lead_including_the_unclaimed_ones(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(BOSS, ["executive"])).get_json()

    assert [row["channel"] for row in body["channels"]] == ["partner", "referral", "web"]
    web = {**ANNA_SPRING, "leads_acquired": 2, "leads_claimed": 3, "conversion_rate": 0.5}
    assert body["channels"][2] == {"channel": "web", **web}
    assert body["channels"][0] == {"channel": "partner", **ZERO, "leads_acquired": 1, "conversion_rate": 0.0}
    assert body["totals"] == {**web, "leads_acquired": 4, "leads_claimed": 4, "conversion_rate": 0.25}


def test_the_day_after_the_period_belongs_to_the_next_one(client, tokens, history):
    body = client.get("/api/v1/dashboards/acquisition?from=2026-11-01&to=2026-11-30",
                      headers=tokens.headers(BOSS, ["executive"])).get_json()

    assert body["totals"] == {**ZERO, "leads_acquired": 1, "leads_claimed": 1, "conversion_rate": 0.0}
    assert body["period"]["previous"] == {"from": "2026-10-02", "to": "2026-10-31", "time_zone": "Asia/Shanghai"}


def test_the_time_zone_setting_moves_the_day_boundaries(client, tokens, history, monkeypatch):
    from reporting import config

    monkeypatch.setenv("CRM_REPORTING_TIME_ZONE", "UTC")
    config.reporting_time_zone.cache_clear()
    try:
        body = client.get(URL, headers=tokens.headers(BOSS, ["executive"])).get_json()
    finally:
        monkeypatch.delenv("CRM_REPORTING_TIME_ZONE")
        config.reporting_time_zone.cache_clear()

    # In UTC the lead created at 16:00Z on 31 October is October's too (30 September 15:59:59Z still is not).
    assert body["period"]["time_zone"] == "UTC"
    assert body["totals"]["leads_acquired"] == 5
    assert [row["leads_acquired"] for row in body["channels"]] == [1, 1, 3]
