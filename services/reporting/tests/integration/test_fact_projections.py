"""The fact tables: right whatever order events arrive in, counted once however often, equal after a rebuild."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_shared.envelope import Envelope, format_time
from crm_shared.testing import contract_with
from reporting.db import (
    fact_contracts,
    fact_customers,
    fact_follow_ups,
    fact_installments,
    fact_invoices,
    fact_leads,
    fact_opportunities,
    fact_payments,
    fact_pool_moves,
    fact_refunds,
    fact_tickets,
)
from reporting.service import rebuild_read_models

from .fact_rows import fact_rows, rows_that_differ

START = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
REP_A, REP_B = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
LEAD, CUSTOMER, DEAL = "11111111-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000001", "33333333-0000-4000-8000-000000000001"
CONTRACT, TICKET = "44444444-0000-4000-8000-000000000001", "55555555-0000-4000-8000-000000000001"
FIRST, SECOND = "66666666-0000-4000-8000-000000000001", "66666666-0000-4000-8000-000000000002"


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def happened(minutes: int, event_name: str, /, **payload) -> Envelope:
    envelope = contract_with(event_name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": format_time(at(minutes))})


def history() -> list[Envelope]:
    """One lead's way to a won deal, paid in part and refunded in part, and its customer's ticket; in order."""
    lead = {"lead_id": LEAD, "channel": "web", "campaign": "expo"}
    deal = {"opportunity_id": DEAL, "customer_id": CUSTOMER, "lead_id": LEAD, "owner_id": REP_B, "name": "ERP"}
    contract = {"contract_id": CONTRACT, "customer_id": CUSTOMER, "owner_id": REP_B, "amount": "30000.00"}
    ticket = {"ticket_id": TICKET, "customer_id": CUSTOMER, "customer_owner_id": REP_B}
    plan = [
        {"installment_id": FIRST, "number": 1, "planned_amount": "10000.00", "planned_date": "2026-11-10", "method": "bank_transfer"},
        {"installment_id": SECOND, "number": 2, "planned_amount": "20000.00", "planned_date": "2026-12-10", "method": "bank_transfer"},
    ]
    return [
        happened(0, "leads.lead.created.v1", **lead, created_at=format_time(at(0))),
        happened(1, "leads.lead.claimed.v1", **lead, owner_id=REP_A, claimed_at=format_time(at(1))),
        happened(2, "leads.follow_up.logged.v1", lead_id=LEAD, owner_id=REP_A, follow_up_id="77777777-0000-4000-8000-000000000001", logged_at=format_time(at(2))),
        happened(3, "leads.lead.returned.v1", **lead, previous_owner_id=REP_A, reason="not a fit", returned_at=format_time(at(3))),
        happened(4, "leads.lead.claimed.v1", **lead, owner_id=REP_B, claimed_at=format_time(at(4))),
        happened(5, "leads.follow_up.logged.v1", lead_id=LEAD, owner_id=REP_B, follow_up_id="77777777-0000-4000-8000-000000000002", logged_at=format_time(at(5))),
        happened(6, "leads.lead.converted.v1", **lead, owner_id=REP_B, converted_at=format_time(at(6))),
        happened(7, "sales.customer.created.v1", customer_id=CUSTOMER, lead_id=LEAD, owner_id=REP_B, name="锦佳", channel="web", created_at=format_time(at(7))),
        happened(8, "sales.customer.updated.v1", customer_id=CUSTOMER, lead_id=LEAD, owner_id=REP_B, name="安徽锦佳", level="gold", region="华东", industry="IT", updated_at=format_time(at(8))),
        happened(9, "sales.opportunity.opened.v1", **deal, stage="qualification", amount="25000.00", opened_at=format_time(at(9))),
        *[
            happened(10 + step, "sales.opportunity.stage_changed.v1", **deal, stage=stage, amount="25000.00", win_probability=probability)
            for step, (stage, probability) in enumerate((("proposal", 50), ("negotiation", 70), ("commit", 90)))
        ],
        happened(14, "sales.opportunity.updated.v1", **deal, stage="commit", amount="30000.00"),
        happened(15, "sales.opportunity.closed.v1", **deal, stage="won", amount="30000.00", outcome="won", closed_at=format_time(at(15))),
        happened(16, "sales.contract.drafted.v1", **contract, status="draft", title="ERP contract", drafted_at=format_time(at(16))),
        happened(17, "sales.contract.submitted.v1", **contract, status="pending_approval"),
        happened(18, "sales.contract.approved.v1", **contract, status="approved"),
        happened(19, "sales.contract.signed.v1", **contract, status="signed", at=format_time(at(19))),
        happened(20, "sales.payment_plan.created.v1", contract_id=CONTRACT, customer_id=CUSTOMER, owner_id=REP_B, amount="30000.00", installments=plan),
        happened(21, "sales.payment.received.v1", contract_id=CONTRACT, customer_id=CUSTOMER, payment_id="88888888-0000-4000-8000-000000000001", amount="10000.00", received_on="2026-11-09", installments=[{"installment_id": FIRST, "number": 1, "amount": "10000.00"}]),
        happened(22, "sales.payment.received.v1", contract_id=CONTRACT, customer_id=CUSTOMER, payment_id="88888888-0000-4000-8000-000000000002", amount="5000.00", received_on="2026-11-20", installments=[{"installment_id": SECOND, "number": 2, "amount": "5000.00"}]),
        happened(23, "sales.invoice.requested.v1", invoice_id="99999999-0000-4000-8000-000000000001", contract_id=CONTRACT, customer_id=CUSTOMER, status="requested", amount="15000.00"),
        happened(24, "sales.invoice.issued.v1", invoice_id="99999999-0000-4000-8000-000000000001", contract_id=CONTRACT, customer_id=CUSTOMER, status="issued", amount="15000.00", issued_on="2026-11-21"),
        happened(25, "sales.refund.requested.v1", refund_id="12121212-0000-4000-8000-000000000001", contract_id=CONTRACT, customer_id=CUSTOMER, status="requested", amount="5000.00", voided_installment_ids=[]),
        happened(26, "sales.refund.approved.v1", refund_id="12121212-0000-4000-8000-000000000001", contract_id=CONTRACT, customer_id=CUSTOMER, status="approved", amount="5000.00", voided_installment_ids=[SECOND]),
        happened(27, "service_desk.ticket.opened.v1", **ticket, channel="email", priority="high", status="new", opened_at=format_time(at(27))),
        happened(28, "service_desk.ticket.assigned.v1", **ticket, assignee_id=REP_A, group_id=None),
        happened(29, "service_desk.ticket.replied.v1", **ticket, author_kind="agent", replied_at=format_time(at(29)), status="open"),
        happened(30, "service_desk.ticket.sla_breached.v1", ticket_id=TICKET, customer_id=CUSTOMER),
        happened(31, "service_desk.ticket.status_changed.v1", **ticket, from_status="open", to_status="resolved", changed_at=format_time(at(31)), assignee_id=REP_A, group_id=None, priority="high"),
        happened(32, "service_desk.ticket.reopened.v1", **ticket, from_status="resolved"),
        happened(33, "service_desk.ticket.replied.v1", **ticket, author_kind="agent", replied_at=format_time(at(33)), status="open"),
        happened(34, "service_desk.ticket.status_changed.v1", **ticket, from_status="open", to_status="resolved", changed_at=format_time(at(34)), assignee_id=REP_A, group_id=None, priority="high"),
        happened(35, "service_desk.ticket.closed.v1", **ticket, status="closed", closed_at=format_time(at(35))),
        happened(36, "service_desk.ticket.rated.v1", **ticket, rating=4),
    ]


def one(engine, table, **key) -> dict:
    with engine.connect() as connection:
        condition = [table.c[name] == value for name, value in key.items()]
        return dict(connection.execute(select(table).where(*condition)).mappings().one())


def test_the_history_in_order_gives_the_expected_facts(deliver, engine):
    for envelope in history():
        deliver(envelope)
    lead = one(engine, fact_leads, lead_id=LEAD)
    assert (lead["status"], lead["owner_id"], lead["follow_ups"]) == ("converted", REP_B, 2)
    assert (lead["claimed_at"], lead["first_follow_up_at"], lead["converted_at"]) == (at(4), at(2), at(6))
    assert (lead["channel"], lead["campaign"]) == ("web", "expo")
    customer = one(engine, fact_customers, customer_id=CUSTOMER)
    assert (customer["name"], customer["level"], customer["owner_id"]) == ("安徽锦佳", "gold", REP_B)
    deal = one(engine, fact_opportunities, opportunity_id=DEAL)
    assert (deal["status"], deal["stage"], deal["amount"], deal["win_probability"]) == ("won", "won", Decimal("30000.00"), 90)
    assert (deal["opened_at"], deal["closed_at"]) == (at(9), at(15))
    contract = one(engine, fact_contracts, contract_id=CONTRACT)
    assert (contract["status"], contract["signed_at"], contract["drafted_at"]) == ("signed", at(19), at(16))
    first, second = one(engine, fact_installments, installment_id=FIRST), one(engine, fact_installments, installment_id=SECOND)
    assert (first["status"], first["paid_amount"]) == ("planned", Decimal("10000.00"))
    assert (second["status"], second["paid_amount"], second["planned_amount"]) == ("voided", Decimal("5000.00"), Decimal("20000.00"))
    ticket = one(engine, fact_tickets, ticket_id=TICKET)
    assert (ticket["status"], ticket["reopened"], ticket["sla_breaches"], ticket["rating"]) == ("closed", 1, 1, 4)
    assert (ticket["first_response_at"], ticket["resolved_at"], ticket["owner_id"], ticket["assignee_id"]) == (at(29), at(34), REP_B, REP_A)
    with engine.connect() as connection:
        moves = connection.execute(select(fact_pool_moves.c.kind).order_by(fact_pool_moves.c.at)).scalars().all()
        assert moves == ["created", "claimed", "returned", "claimed"]
        assert connection.execute(select(fact_payments)).all().__len__() == 2
        assert connection.execute(select(fact_follow_ups)).all().__len__() == 2
    assert one(engine, fact_invoices, contract_id=CONTRACT)["status"] == "issued"
    assert one(engine, fact_refunds, contract_id=CONTRACT)["status"] == "approved"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_shuffled_stream_with_duplicates_gives_the_same_facts_as_the_ordered_one(deliver, engine, uow_factory, seed):
    events = history()
    chance = random.Random(seed)
    arriving = events + chance.sample(events, 12)  # redeliveries, the consumer's inbox sees each once
    chance.shuffle(arriving)
    for envelope in arriving:
        deliver(envelope)
    shuffled = fact_rows(engine)
    # The rebuild replays the archive in the order things happened: the reference answer.
    assert rebuild_read_models(uow_factory) == len(events)
    assert rows_that_differ(shuffled, fact_rows(engine), ("shuffled", "rebuilt")) == []
    assert one(engine, fact_opportunities, opportunity_id=DEAL)["status"] == "won"
    assert one(engine, fact_leads, lead_id=LEAD)["owner_id"] == REP_B


def test_an_event_the_archive_already_holds_is_not_counted_again(uow_factory, engine):
    from reporting.handlers import record

    payment = next(e for e in history() if e.name == "sales.payment.received.v1")
    for _ in range(2):  # the same event twice, past any inbox (a second queue, a replayed dump)
        with uow_factory() as uow:
            record(payment, uow)
            uow.commit()
    assert one(engine, fact_installments, installment_id=FIRST)["paid_amount"] == Decimal("10000.00")


def test_a_late_old_stage_change_does_not_move_a_closed_deal_back(deliver, engine):
    events = [e for e in history() if e.name.startswith("sales.opportunity")]
    *earlier, closed = events
    deliver(closed)
    for envelope in reversed(earlier):
        deliver(envelope)
    deal = one(engine, fact_opportunities, opportunity_id=DEAL)
    assert (deal["status"], deal["stage"], deal["amount"]) == ("won", "won", Decimal("30000.00"))
    assert deal["opened_at"] == at(9)




def test_a_late_older_claim_does_not_give_an_owner_back_to_a_lead_merged_since(deliver, engine):
    """The merge says the whole state it left (no owner, its pool): an older claim arriving after it moves nothing."""
    lead = {"lead_id": LEAD, "channel": "web", "campaign": "expo"}
    deliver(happened(0, "leads.lead.created.v1", **lead, pool_id="pool-a", created_at=format_time(at(0))))
    deliver(happened(5, "leads.lead.merged.v1", lead_id="11111111-0000-4000-8000-000000000002", merged_lead_id=LEAD,
                     merged_lead_owner_id=None, merged_lead_pool_id="pool-public", merged_at=format_time(at(5))))
    for minutes, name, extra in ((3, "leads.lead.recycled.v1", {"pool_id": "pool-public", "previous_owner_id": REP_A,
                                                                "recycled_at": format_time(at(3))}),
                                 (1, "leads.lead.claimed.v1", {"owner_id": REP_A, "pool_id": "pool-a",
                                                               "claimed_at": format_time(at(1))})):
        deliver(happened(minutes, name, **lead, **extra))
    merged = one(engine, fact_leads, lead_id=LEAD)
    assert (merged["status"], merged["owner_id"], merged["pool_id"]) == ("merged", None, "pool-public")
    assert merged["claimed_at"] == at(1)


def test_a_late_older_creation_keeps_its_name_under_a_newer_transfer(deliver, engine):
    """A transfer says only who owns the customer now: it moves the owner, and leaves the name to the creation."""
    customer = {"customer_id": CUSTOMER, "lead_id": LEAD, "channel": "web"}
    deliver(happened(9, "sales.customer.owner_changed.v1", **customer, owner_id=REP_B, previous_owner_id=REP_A,
                     changed_at=format_time(at(9))))
    deliver(happened(7, "sales.customer.created.v1", **customer, owner_id=REP_A, name="锦佳",
                     created_at=format_time(at(7))))
    deliver(happened(8, "sales.customer.updated.v1", **customer, owner_id=REP_A, name="安徽锦佳", level="gold"))
    row = one(engine, fact_customers, customer_id=CUSTOMER)
    assert (row["name"], row["level"], row["owner_id"], row["created_at"]) == ("安徽锦佳", "gold", REP_B, at(7))


def test_the_money_a_completed_refund_returns_is_a_negative_payment(deliver, engine):
    refund = {"refund_id": "12121212-0000-4000-8000-000000000002", "contract_id": CONTRACT, "customer_id": CUSTOMER,
              "amount": "1234.56", "payment_id": "88888888-0000-4000-8000-000000000009"}
    deliver(happened(40, "sales.refund.completed.v1", **refund, status="completed", at=format_time(at(40))))
    payment = one(engine, fact_payments, payment_id=refund["payment_id"])
    assert (payment["amount"], payment["method"], payment["received_on"]) == (Decimal("-1234.56"), "refund", at(40).date())
    assert one(engine, fact_refunds, refund_id=refund["refund_id"])["completed_at"] == at(40)
