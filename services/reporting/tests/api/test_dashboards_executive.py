"""GET /api/v1/dashboards/executive: revenue, collections and expenses against the previous period, and targets."""
import pytest

from crm_shared.envelope import Envelope
from crm_shared.testing import contract_with

URL = "/api/v1/dashboards/executive?from=2026-10-01&to=2026-10-31"  # previous: 31 August to 30 September
EAST, WEST = "team-east", "team-west"
REP_A, REP_B, MANAGER, BOSS = "rep-a", "rep-b", "manager-east", "boss"


def happened(name: str, occurred_at: str, **payload) -> Envelope:
    envelope = contract_with(name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": occurred_at})


def register(deliver, user_id: str, name: str, role: str, team: tuple[str, str] | None) -> None:
    deliver(happened(
        "gateway.user.registered.v1", "2026-01-01T00:00:00Z", user_id=user_id, username=user_id, display_name=name,
        roles=[role], team_ids=[team[0]] if team else [], teams=[{"id": team[0], "name": team[1]}] if team else [],
        changed_at="2026-01-01T00:00:00Z"))


def signed(deliver, contract_id: str, owner: str, amount: str, at: str) -> None:
    deliver(happened("sales.contract.signed.v1", at, contract_id=contract_id, owner_id=owner, amount=amount,
                     status="signed", at=at))


def target(deliver, target_id: str, kind: str, subject: str, metric: str, period: str, start: str, end: str,
           value: str) -> None:
    deliver(happened("sales.target.set.v1", "2026-09-01T00:00:00Z", target_id=target_id, subject_kind=kind,
                     subject_id=subject, metric=metric, period=period, period_start=start, period_end=end, value=value))


@pytest.fixture
def history(deliver):
    register(deliver, REP_A, "Anna", "sales_rep", (EAST, "East"))
    register(deliver, REP_B, "Bo", "sales_rep", (WEST, "West"))
    register(deliver, MANAGER, "Mei", "sales_manager", (EAST, "East"))
    register(deliver, BOSS, "Boss", "executive", None)
    for customer, owner, created in (("cust-a", REP_A, "2026-09-01T00:00:00Z"),
                                     ("cust-b", REP_B, "2026-10-03T00:00:00Z"),
                                     ("cust-m", MANAGER, "2026-09-01T00:00:00Z")):
        deliver(happened("sales.customer.created.v1", created, customer_id=customer, owner_id=owner, lead_id=None,
                         created_at=created))
    # Revenue: two contracts in October (one in its last minute in Asia/Shanghai), one voided, one in September,
    # one on 1 November there.
    signed(deliver, "ct-a", REP_A, "10000.00", "2026-10-10T00:00:00Z")
    signed(deliver, "ct-b", REP_B, "5000.00", "2026-10-31T15:59:00Z")
    signed(deliver, "ct-v", REP_A, "3000.00", "2026-10-12T00:00:00Z")
    deliver(happened("sales.contract.voided.v1", "2026-10-13T00:00:00Z", contract_id="ct-v", owner_id=REP_A,
                     amount="3000.00", status="voided", at="2026-10-13T00:00:00Z"))
    signed(deliver, "ct-p", REP_A, "8000.00", "2026-09-15T00:00:00Z")
    signed(deliver, "ct-x", REP_A, "7000.00", "2026-10-31T16:00:00Z")
    for payment, customer, amount, day in (("pay-a", "cust-a", "2000.00", "2026-10-05"),
                                           ("pay-m", "cust-m", "500.00", "2026-10-20"),
                                           ("pay-b", "cust-b", "1000.00", "2026-09-30")):
        deliver(happened("sales.payment.received.v1", f"{day}T02:00:00Z", payment_id=payment, customer_id=customer,
                         amount=amount, received_on=day, installments=[]))
    for expense, rep, amount, day, status in (("ex-a", REP_A, "1500.00", "2026-10-08", "approved"),
                                              ("ex-b", REP_B, "300.00", "2026-10-31", "approved"),
                                              ("ex-s", REP_A, "999.00", "2026-10-09", "submitted"),
                                              ("ex-n", REP_A, "50.00", "2026-11-01", "approved")):
        deliver(happened("sales.expense.approved.v1", f"{day}T02:00:00Z", expense_id=expense, rep_id=rep,
                         amount=amount, spent_on=day, status=status))
    # Won deals count towards Anna's quarterly target over the whole quarter, November's too.
    for opportunity, amount, at in (("op-1", "12000.00", "2026-10-15T00:00:00Z"),
                                    ("op-2", "3000.00", "2026-11-20T00:00:00Z")):
        deliver(happened("sales.opportunity.closed.v1", at, opportunity_id=opportunity, owner_id=REP_A, outcome="won",
                         amount=amount, closed_at=at))
    target(deliver, "tg-a", "rep", REP_A, "won_amount", "2026-Q4", "2026-10-01", "2027-01-01", "20000.00")
    target(deliver, "tg-b", "rep", REP_B, "new_customers", "2026-10", "2026-10-01", "2026-11-01", "2.00")
    target(deliver, "tg-east", "team", EAST, "payments_collected", "2026-10", "2026-10-01", "2026-11-01", "4000.00")
    target(deliver, "tg-d", "department", "dept-1", "won_amount", "2026", "2026-01-01", "2027-01-01", "900000.00")
    target(deliver, "tg-q3", "rep", REP_A, "won_amount", "2026-Q3", "2026-07-01", "2026-10-01", "1.00")


def test_the_executive_sees_every_figure_against_the_previous_period(client, tokens, history):
    response = client.get(URL, headers=tokens.headers(BOSS, ["executive"]))

    assert response.status_code == 200
    body = response.get_json()
    assert body["revenue"] == {"value": "15000.00", "previous": "8000.00", "change": "7000.00", "change_percent": 87.5}
    assert body["payments_collected"] == {"value": "2500.00", "previous": "1000.00", "change": "1500.00",
                                          "change_percent": 150.0}
    assert body["sales_expenses"] == {"value": "1800.00", "previous": "0.00", "change": "1800.00",
                                      "change_percent": None}
    assert body["expense_to_revenue"] == {"value": 0.12, "previous": 0.0, "change": 0.12, "change_percent": None}


def test_targets_overlapping_the_period_are_measured_over_their_own_period(client, tokens, history):
    targets = client.get(URL, headers=tokens.headers(BOSS, ["executive"])).get_json()["targets"]

    assert targets["reps"] == [
        {"target_id": "tg-b", "subject_id": REP_B, "name": "Bo", "metric": "new_customers", "period": "2026-10",
         "period_start": "2026-10-01", "period_end": "2026-11-01", "target": "2", "actual": "1", "achievement": 0.5,
         "note": None},
        {"target_id": "tg-a", "subject_id": REP_A, "name": "Anna", "metric": "won_amount", "period": "2026-Q4",
         "period_start": "2026-10-01", "period_end": "2027-01-01", "target": "20000.00", "actual": "15000.00",
         "achievement": 0.75, "note": None},
    ]
    assert targets["teams"] == [
        {"target_id": "tg-east", "subject_id": EAST, "name": "East", "metric": "payments_collected",
         "period": "2026-10", "period_start": "2026-10-01", "period_end": "2026-11-01", "target": "4000.00",
         "actual": "2500.00", "achievement": 0.625, "note": None},
    ]
    [department] = targets["departments"]
    assert (department["target"], department["actual"], department["achievement"]) == ("900000.00", None, None)
    assert "department" in department["note"]


def test_a_manager_sees_their_teams_figures_and_targets(client, tokens, history):
    body = client.get(URL, headers=tokens.headers(MANAGER, ["sales_manager"], teams=[EAST])).get_json()

    assert body["revenue"] == {"value": "10000.00", "previous": "8000.00", "change": "2000.00", "change_percent": 25.0}
    assert body["payments_collected"]["value"] == "2500.00"
    assert body["payments_collected"]["previous"] == "0.00"
    assert body["sales_expenses"]["value"] == "1500.00"
    assert body["expense_to_revenue"]["value"] == 0.15
    assert [row["target_id"] for row in body["targets"]["reps"]] == ["tg-a"]
    assert [row["target_id"] for row in body["targets"]["teams"]] == ["tg-east"]
    assert body["targets"]["departments"] == []


def test_a_manager_may_narrow_to_their_own_records(client, tokens, history):
    body = client.get(URL + "&scope=own", headers=tokens.headers(MANAGER, ["sales_manager"], teams=[EAST])).get_json()

    assert body["revenue"]["value"] == "0.00"
    assert body["payments_collected"]["value"] == "500.00"
    assert body["targets"] == {"reps": [], "teams": [], "departments": []}


@pytest.mark.parametrize("role", ["sales_rep", "service_agent", "service_manager"])
def test_other_roles_are_refused(client, tokens, history, role):
    response = client.get(URL, headers=tokens.headers(REP_A, [role], teams=[EAST]))

    assert response.status_code == 403
    assert response.get_json()["code"] == "role_not_allowed"


def test_the_next_day_starts_the_next_period(client, tokens, history):
    body = client.get("/api/v1/dashboards/executive?from=2026-11-01&to=2026-11-01",
                      headers=tokens.headers(BOSS, ["executive"])).get_json()

    assert body["revenue"] == {"value": "7000.00", "previous": "5000.00", "change": "2000.00", "change_percent": 40.0}
    assert body["sales_expenses"]["value"] == "50.00"
    assert body["sales_expenses"]["previous"] == "300.00"
