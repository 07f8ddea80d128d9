"""GET /api/v1/dashboards/sales: per rep and team, each viewer seeing their own scope, within the period's days."""
import pytest

from crm_shared.envelope import Envelope
from crm_shared.testing import contract_with

URL = "/api/v1/dashboards/sales?from=2026-10-01&to=2026-10-31"
EAST, WEST = "team-east", "team-west"
REP_A, REP_B, MANAGER, BOSS = "rep-a", "rep-b", "manager-east", "boss"
# Asia/Shanghai is UTC+8: 2026-10-31T15:59Z is the last minute of October there, 16:00Z is 1 November.
LAST_MINUTE, NEXT_DAY = "2026-10-31T15:59:00Z", "2026-10-31T16:00:00Z"


def happened(name: str, occurred_at: str, **payload) -> Envelope:
    envelope = contract_with(name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": occurred_at})


def register(deliver, user_id: str, name: str, role: str, team: tuple[str, str] | None) -> None:
    deliver(happened(
        "gateway.user.registered.v1", "2026-01-01T00:00:00Z", user_id=user_id, username=user_id, display_name=name,
        roles=[role], team_ids=[team[0]] if team else [], teams=[{"id": team[0], "name": team[1]}] if team else [],
        changed_at="2026-01-01T00:00:00Z"))


@pytest.fixture
def history(deliver):
    register(deliver, REP_A, "Anna", "sales_rep", (EAST, "East"))
    register(deliver, REP_B, "Bo", "sales_rep", (WEST, "West"))
    register(deliver, MANAGER, "Mei", "sales_manager", (EAST, "East"))
    register(deliver, BOSS, "Boss", "executive", None)
    for customer, owner in (("cust-a", REP_A), ("cust-b", REP_B), ("cust-m", MANAGER)):
        deliver(happened("sales.customer.created.v1", "2026-09-01T00:00:00Z", customer_id=customer, owner_id=owner,
                         lead_id=None, created_at="2026-09-01T00:00:00Z"))
    # Follow-ups: two of Anna's in October (one in its last minute), one on 1 November; one of Bo's; one of Mei's.
    for number, (owner, at) in enumerate(((REP_A, "2026-10-10T02:00:00Z"), (REP_A, LAST_MINUTE), (REP_A, NEXT_DAY),
                                          (REP_B, "2026-10-05T02:00:00Z"))):
        deliver(happened("leads.follow_up.logged.v1", at, follow_up_id=f"fu-{number}", lead_id=f"lead-{number}",
                         owner_id=owner, logged_at=at))
    deliver(happened("sales.follow_up.recorded.v1", "2026-10-20T02:00:00Z", follow_up_id="fu-m", customer_id="cust-m",
                     customer_owner_id=MANAGER, recorded_at="2026-10-20T02:00:00Z"))
    # Open pipeline (now, whatever the period): Anna two stages, Bo one.
    for opportunity, owner, stage, amount in (("op-a1", REP_A, "qualification", "1000.00"),
                                              ("op-a2", REP_A, "proposal", "2500.50"),
                                              ("op-b1", REP_B, "qualification", "300.00")):
        deliver(happened("sales.opportunity.opened.v1", "2026-09-01T00:00:00Z", opportunity_id=opportunity,
                         owner_id=owner, stage=stage, amount=amount, opened_at="2026-09-01T00:00:00Z"))
    # Won: Anna's in October; Bo's on 1 November (local) is out; a lost one never counts.
    for opportunity, owner, outcome, amount, at in (("op-a3", REP_A, "won", "5000.00", "2026-10-15T02:00:00Z"),
                                                    ("op-b2", REP_B, "won", "7000.00", "2026-10-31T16:30:00Z"),
                                                    ("op-a4", REP_A, "lost", "900.00", "2026-10-16T02:00:00Z")):
        deliver(happened("sales.opportunity.closed.v1", at, opportunity_id=opportunity, owner_id=owner,
                         outcome=outcome, amount=amount, closed_at=at))
    # Installments: Anna's due on the last day of October (a quarter paid), on 1 November, in January (unpaid),
    # and in 2099; Bo's due mid-October and paid in full.
    deliver(happened("sales.payment_plan.created.v1", "2026-01-01T00:00:00Z", contract_id="ct-a", customer_id="cust-a",
                     installments=[
                         {"installment_id": f"in-a{number}", "number": number, "planned_amount": amount,
                          "planned_date": day}
                         for number, amount, day in ((0, "400.00", "2026-01-05"), (1, "1000.00", "2026-10-31"),
                                                     (2, "2000.00", "2026-11-01"), (3, "500.00", "2099-01-01"))
                     ]))
    deliver(happened("sales.payment_plan.created.v1", "2026-01-01T00:00:00Z", contract_id="ct-b", customer_id="cust-b",
                     installments=[{"installment_id": "in-b1", "number": 1, "planned_amount": "600.00",
                                    "planned_date": "2026-10-15"}]))
    for payment, customer, amount, day, installment in (("pay-a1", "cust-a", "250.00", "2026-10-31", "in-a1"),
                                                        ("pay-a2", "cust-a", "100.00", "2026-11-01", "in-a2"),
                                                        ("pay-b1", "cust-b", "600.00", "2026-10-15", "in-b1")):
        deliver(happened("sales.payment.received.v1", f"{day}T02:00:00Z", payment_id=payment, contract_id="ct-x",
                         customer_id=customer, amount=amount, received_on=day,
                         installments=[{"installment_id": installment, "number": 1, "amount": amount}]))
    for invoice, customer, amount, day in (("inv-a", "cust-a", "1130.00", "2026-10-20"),
                                           ("inv-b", "cust-b", "800.00", "2026-11-02")):
        deliver(happened("sales.invoice.issued.v1", f"{day}T02:00:00Z", invoice_id=invoice, customer_id=customer,
                         status="issued", amount=amount, issued_on=day))
    deliver(happened("sales.refund.completed.v1", "2026-10-25T00:00:00Z", refund_id="rf-b", customer_id="cust-b",
                     amount="50.00", status="completed", voided_installment_ids=[], at="2026-10-25T00:00:00Z"))


def rows_by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


ANNA = {
    "owner_id": REP_A,
    "display_name": "Anna",
    "follow_ups": 2,
    "pipeline": [
        {"stage": "proposal", "count": 1, "amount": "2500.50"},
        {"stage": "qualification", "count": 1, "amount": "1000.00"},
    ],
    "pipeline_count": 2,
    "pipeline_amount": "3500.50",
    "won_count": 1,
    "won_amount": "5000.00",
    "planned_amount": "1000.00",
    "collected_amount": "250.00",
    "collection_rate": 0.25,
    "overdue_count": 3,  # January's 400.00, October's 750.00 left, November's 1900.00 left
    "overdue_amount": "3050.00",
    "invoiced_amount": "1130.00",
    "refunded_amount": "0.00",
}


def test_a_rep_sees_only_their_own_figures(client, tokens, history):
    response = client.get(URL, headers=tokens.headers(REP_A, ["sales_rep"], teams=[EAST]))

    assert response.status_code == 200
    body = response.get_json()
    assert body["reps"] == [ANNA]
    assert body["teams"] == []
    assert body["totals"] == {key: value for key, value in ANNA.items() if key not in {"owner_id", "display_name"}}
    assert body["period"] == {"from": "2026-10-01", "to": "2026-10-31", "time_zone": "Asia/Shanghai", "scope": "own",
                              "previous": {"from": "2026-08-31", "to": "2026-09-30", "time_zone": "Asia/Shanghai"}}


def test_a_rep_asking_for_everything_still_sees_only_their_own(client, tokens, history):
    response = client.get(URL + "&scope=all", headers=tokens.headers(REP_A, ["sales_rep"], teams=[EAST]))

    assert response.status_code == 200
    assert [row["owner_id"] for row in response.get_json()["reps"]] == [REP_A]
    assert response.get_json()["period"]["scope"] == "own"


def test_a_manager_sees_their_team_and_its_members(client, tokens, history):
    response = client.get(URL, headers=tokens.headers(MANAGER, ["sales_manager"], teams=[EAST]))

    body = response.get_json()
    reps = rows_by(body["reps"], "owner_id")
    assert list(reps) == [REP_A, MANAGER]  # by name: Anna, Mei
    assert reps[REP_A] == ANNA
    assert reps[MANAGER]["follow_ups"] == 1
    assert reps[MANAGER]["display_name"] == "Mei"
    [east] = body["teams"]
    assert (east["team_id"], east["name"], east["follow_ups"], east["won_amount"]) == (EAST, "East", 3, "5000.00")
    assert body["totals"]["follow_ups"] == 3
    assert body["totals"]["collected_amount"] == "250.00"


def test_an_executive_sees_every_rep_and_team(client, tokens, history):
    response = client.get(URL, headers=tokens.headers(BOSS, ["executive"]))

    body = response.get_json()
    reps = rows_by(body["reps"], "owner_id")
    assert list(reps) == [REP_A, REP_B, MANAGER]  # Anna, Bo, Mei
    assert reps[REP_A] == ANNA
    bo = reps[REP_B]
    assert (bo["follow_ups"], bo["pipeline_count"], bo["pipeline_amount"], bo["won_count"]) == (1, 1, "300.00", 0)
    # Collected is net of money returned: the 50.00 refund is a negative payment, as in sales.
    assert (bo["planned_amount"], bo["collected_amount"], bo["collection_rate"]) == ("600.00", "550.00", 1.0)
    assert (bo["overdue_count"], bo["invoiced_amount"], bo["refunded_amount"]) == (0, "0.00", "50.00")
    teams = rows_by(body["teams"], "team_id")
    assert [team["name"] for team in body["teams"]] == ["East", "West"]
    assert teams[EAST]["follow_ups"] == 3 and teams[WEST]["follow_ups"] == 1
    totals = body["totals"]
    assert totals["pipeline"] == [
        {"stage": "proposal", "count": 1, "amount": "2500.50"},
        {"stage": "qualification", "count": 2, "amount": "1300.00"},
    ]
    collections = (totals["planned_amount"], totals["collected_amount"], totals["collection_rate"])
    # The rate is what was paid on the installments planned: 850 / 1600 = 0.53125, rounded half up.
    assert collections == ("1600.00", "800.00", 0.5313)
    assert (totals["won_count"], totals["won_amount"], totals["refunded_amount"]) == (1, "5000.00", "50.00")


def test_records_without_an_owner_of_their_own_follow_their_customer_to_its_new_owner(client, tokens, history, deliver):
    deliver(happened("sales.customer.owner_changed.v1", "2026-11-20T00:00:00Z", customer_id="cust-b", owner_id=REP_A))

    body = client.get(URL, headers=tokens.headers(REP_A, ["sales_rep"])).get_json()

    [anna] = body["reps"]
    assert (anna["planned_amount"], anna["collected_amount"], anna["refunded_amount"]) == ("1600.00", "800.00", "50.00")
    assert anna["follow_ups"] == 2  # follow-ups keep the owner they were logged by


def test_an_executive_may_narrow_to_their_own_records(client, tokens, history):
    body = client.get(URL + "&scope=own", headers=tokens.headers(BOSS, ["executive"])).get_json()

    assert body["reps"] == []
    assert body["period"]["scope"] == "own"
