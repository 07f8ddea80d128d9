"""GET /api/v1/dashboards/pool: entries and exits per pool, reasons, and claim-to-follow-up time, in scope."""
import pytest

from crm_shared.envelope import Envelope
from crm_shared.testing import contract_with

URL = "/api/v1/dashboards/pool?from=2026-10-01&to=2026-10-31"
EAST, WEST = "team-east", "team-west"
REP_A, REP_B, MANAGER, BOSS = "rep-a", "rep-b", "manager-east", "boss"
P1, P2 = "pool-1", "pool-2"


def happened(name: str, occurred_at: str, **payload) -> Envelope:
    envelope = contract_with(name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": occurred_at})


def register(deliver, user_id: str, role: str, team: str | None) -> None:
    deliver(happened(
        "gateway.user.registered.v1", "2026-01-01T00:00:00Z", user_id=user_id, username=user_id, display_name=user_id,
        roles=[role], team_ids=[team] if team else [], teams=[{"id": team, "name": team}] if team else [],
        changed_at="2026-01-01T00:00:00Z"))


def claimed(deliver, lead_id: str, pool_id: str, owner: str, at: str) -> None:
    deliver(happened("leads.lead.claimed.v1", at, lead_id=lead_id, pool_id=pool_id, owner_id=owner, claimed_at=at))


def followed_up(deliver, lead_id: str, owner: str, at: str) -> None:
    deliver(happened("leads.follow_up.logged.v1", at, follow_up_id=f"fu-{lead_id}", lead_id=lead_id, owner_id=owner,
                     logged_at=at))


@pytest.fixture
def history(deliver):
    register(deliver, REP_A, "sales_rep", EAST)
    register(deliver, REP_B, "sales_rep", WEST)
    register(deliver, MANAGER, "sales_manager", EAST)
    register(deliver, BOSS, "executive", None)
    for lead_id, at in (("l-1", "2026-10-02T00:00:00Z"), ("l-2", "2026-10-04T00:00:00Z"),
                        ("l-3", "2026-10-31T16:00:00Z")):  # l-3: 1 November in Asia/Shanghai
        deliver(happened("leads.lead.created.v1", at, lead_id=lead_id, pool_id=P1, created_at=at))
    claimed(deliver, "l-1", P1, REP_A, "2026-10-03T00:00:00Z")
    deliver(happened("leads.lead.returned.v1", "2026-10-10T00:00:00Z", lead_id="l-1", pool_id=P1,
                     previous_owner_id=REP_A, reason="no_budget", returned_at="2026-10-10T00:00:00Z"))
    deliver(happened("leads.lead.distributed.v1", "2026-10-05T00:00:00Z", lead_id="l-2", pool_id=P1, owner_id=REP_B,
                     distributed_at="2026-10-05T00:00:00Z"))
    deliver(happened("leads.lead.recycled.v1", "2026-10-31T15:00:00Z", lead_id="l-2", pool_id=P1,
                     previous_owner_id=REP_B, reason="no follow-up for 8 days", recycled_at="2026-10-31T15:00:00Z"))
    # Anna follows up her two claims from pool 2 after 1.5 and 4.5 hours; Mei had followed hers up before claiming.
    claimed(deliver, "l-4", P2, REP_A, "2026-10-06T00:00:00Z")
    followed_up(deliver, "l-4", REP_A, "2026-10-06T01:30:00Z")
    claimed(deliver, "l-5", P2, REP_A, "2026-10-07T00:00:00Z")
    followed_up(deliver, "l-5", REP_A, "2026-10-07T04:30:00Z")
    followed_up(deliver, "l-6", MANAGER, "2026-10-01T00:00:00Z")
    claimed(deliver, "l-6", P2, MANAGER, "2026-10-08T00:00:00Z")


def kinds(*moves: tuple[str, str, int]) -> list[dict]:
    return [{"direction": direction, "kind": kind, "count": count} for direction, kind, count in moves]


def test_a_rep_sees_their_own_claims_and_returns(client, tokens, history):
    response = client.get(URL, headers=tokens.headers(REP_A, ["sales_rep"], teams=[EAST]))

    assert response.status_code == 200
    body = response.get_json()
    assert body["pools"] == [
        {"pool_id": P1, "entries": 1, "exits": 1, "kinds": kinds(("in", "returned", 1), ("out", "claimed", 1))},
        {"pool_id": P2, "entries": 0, "exits": 2, "kinds": kinds(("out", "claimed", 2))},
    ]
    assert body["totals"] == {"entries": 1, "exits": 3}
    assert body["reasons"] == [{"kind": "returned", "reason": "no_budget", "count": 1}]
    assert body["claim_to_first_follow_up"] == {"leads": 2, "average_hours": 3.0}


def test_the_other_rep_sees_the_lead_distributed_to_and_recycled_from_them(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(REP_B, ["sales_rep"], teams=[WEST])).get_json()

    assert body["pools"] == [
        {"pool_id": P1, "entries": 1, "exits": 1, "kinds": kinds(("in", "recycled", 1), ("out", "distributed", 1))},
    ]
    assert body["reasons"] == [{"kind": "recycled", "reason": "no follow-up for 8 days", "count": 1}]
    assert body["claim_to_first_follow_up"] == {"leads": 0, "average_hours": None}


def test_a_manager_sees_their_teams_moves(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(MANAGER, ["sales_manager"], teams=[EAST])).get_json()

    assert body["totals"] == {"entries": 1, "exits": 4}
    assert body["pools"][1] == {"pool_id": P2, "entries": 0, "exits": 3, "kinds": kinds(("out", "claimed", 3))}
    assert body["claim_to_first_follow_up"] == {"leads": 2, "average_hours": 3.0}


def test_an_executive_sees_every_move_including_new_leads_entering_the_pool(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(BOSS, ["executive"])).get_json()

    assert body["pools"][0] == {
        "pool_id": P1, "entries": 4, "exits": 2,
        "kinds": kinds(("in", "created", 2), ("in", "recycled", 1), ("in", "returned", 1),
                       ("out", "claimed", 1), ("out", "distributed", 1)),
    }
    assert body["totals"] == {"entries": 4, "exits": 5}
    assert [reason["kind"] for reason in body["reasons"]] == ["recycled", "returned"]


def test_the_lead_created_on_the_first_of_november_enters_novembers_pool(client, tokens, history):
    body = client.get("/api/v1/dashboards/pool?from=2026-11-01&to=2026-11-30",
                      headers=tokens.headers(BOSS, ["executive"])).get_json()

    assert body["pools"] == [{"pool_id": P1, "entries": 1, "exits": 0, "kinds": kinds(("in", "created", 1))}]
