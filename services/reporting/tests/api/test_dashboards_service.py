"""GET /api/v1/dashboards/service: ticket volume, speed, SLA and satisfaction in a period, in the viewer's scope."""
import pytest

from crm_shared.envelope import Envelope
from crm_shared.testing import contract_with

URL = "/api/v1/dashboards/service?from=2026-10-01&to=2026-10-31"
EAST, WEST = "team-east", "team-west"
REP_A, REP_B, MANAGER, BOSS = "rep-a", "rep-b", "manager-east", "boss"
EMPTY = {"opened": 0, "resolved": 0, "open_now": 0, "avg_first_response_minutes": None,
         "avg_resolution_minutes": None, "sla_compliance": None, "avg_rating": None, "rated": 0}


def happened(name: str, occurred_at: str, **payload) -> Envelope:
    envelope = contract_with(name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": occurred_at})


def register(deliver, user_id: str, role: str, team: str | None) -> None:
    deliver(happened(
        "gateway.user.registered.v1", "2026-01-01T00:00:00Z", user_id=user_id, username=user_id, display_name=user_id,
        roles=[role], team_ids=[team] if team else [], teams=[{"id": team, "name": team}] if team else [],
        changed_at="2026-01-01T00:00:00Z"))


def ticket(deliver, name: str, ticket_id: str, at: str, owner: str, **payload) -> None:
    deliver(happened(f"service_desk.ticket.{name}.v1", at, ticket_id=ticket_id, customer_owner_id=owner, **payload))


@pytest.fixture
def history(deliver):
    register(deliver, REP_A, "sales_rep", EAST)
    register(deliver, REP_B, "sales_rep", WEST)
    register(deliver, MANAGER, "sales_manager", EAST)
    register(deliver, BOSS, "executive", None)
    # t-1 (Anna's customer): answered after 30 minutes, resolved after 2 hours, rated 4.
    ticket(deliver, "opened", "t-1", "2026-10-05T00:00:00Z", REP_A, channel="web", priority="high",
           status="new", opened_at="2026-10-05T00:00:00Z")
    ticket(deliver, "replied", "t-1", "2026-10-05T00:30:00Z", REP_A, author_kind="agent",
           replied_at="2026-10-05T00:30:00Z", status="open")
    ticket(deliver, "status_changed", "t-1", "2026-10-05T02:00:00Z", REP_A, to_status="resolved",
           changed_at="2026-10-05T02:00:00Z")
    ticket(deliver, "rated", "t-1", "2026-10-06T00:00:00Z", REP_A, rating=4)
    # t-2 (Bo's): opened in the last minute of October in Asia/Shanghai, unanswered, its SLA breached.
    ticket(deliver, "opened", "t-2", "2026-10-31T15:59:00Z", REP_B, channel="email", priority="low",
           status="new", opened_at="2026-10-31T15:59:00Z")
    ticket(deliver, "sla_breached", "t-2", "2026-10-31T15:59:30Z", REP_B, priority="low")
    # t-3 (Anna's): opened on 1 November there; still open.
    ticket(deliver, "opened", "t-3", "2026-10-31T16:00:00Z", REP_A, channel="web", priority="high",
           status="new", opened_at="2026-10-31T16:00:00Z")
    # t-4 (Anna's): opened in September, resolved (closed) in October.
    ticket(deliver, "opened", "t-4", "2026-09-20T00:00:00Z", REP_A, channel="phone", priority="high",
           status="new", opened_at="2026-09-20T00:00:00Z")
    ticket(deliver, "closed", "t-4", "2026-10-02T00:00:00Z", REP_A, closed_at="2026-10-02T00:00:00Z")


ANNA_TOTALS = {"opened": 1, "resolved": 2, "open_now": 1, "avg_first_response_minutes": 30.0,
               "avg_resolution_minutes": 120.0, "sla_compliance": 1.0, "avg_rating": 4.0, "rated": 1}


def test_a_rep_sees_the_tickets_of_their_customers(client, tokens, history):
    response = client.get(URL, headers=tokens.headers(REP_A, ["sales_rep"], teams=[EAST]))

    assert response.status_code == 200
    body = response.get_json()
    assert body["totals"] == ANNA_TOTALS
    assert body["by_channel"] == [
        {"channel": "phone", **EMPTY, "resolved": 1},
        {"channel": "web", **ANNA_TOTALS, "resolved": 1},
    ]
    assert body["by_priority"] == [{"priority": "high", **ANNA_TOTALS}]


def test_a_manager_sees_the_tickets_of_their_teams_customers(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(MANAGER, ["sales_manager"], teams=[EAST])).get_json()

    assert body["totals"] == ANNA_TOTALS


def test_the_other_rep_sees_the_ticket_opened_on_the_last_evening(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(REP_B, ["sales_rep"], teams=[WEST])).get_json()

    assert body["totals"] == {**EMPTY, "opened": 1, "open_now": 1, "sla_compliance": 0.0}
    assert body["by_channel"] == [{"channel": "email", **EMPTY, "opened": 1, "open_now": 1, "sla_compliance": 0.0}]


@pytest.mark.parametrize("who", [(BOSS, "executive"), ("agent", "service_agent")])
def test_executives_and_the_desk_see_every_ticket(client, tokens, history, who):
    body = client.get(URL, headers=tokens.headers(who[0], [who[1]])).get_json()

    assert body["totals"] == {"opened": 2, "resolved": 2, "open_now": 2, "avg_first_response_minutes": 30.0,
                              "avg_resolution_minutes": 120.0, "sla_compliance": 0.5, "avg_rating": 4.0, "rated": 1}
    assert [row["priority"] for row in body["by_priority"]] == ["high", "low"]


def test_the_next_period_starts_with_the_ticket_of_the_first_of_november(client, tokens, history):
    body = client.get("/api/v1/dashboards/service?from=2026-11-01&to=2026-11-01",
                      headers=tokens.headers(BOSS, ["executive"])).get_json()

    assert body["totals"] == {**EMPTY, "opened": 1, "open_now": 2, "sla_compliance": 1.0}
