"""Read models of sales (`fact_customers`, `fact_opportunities`, `fact_orders`, `fact_contracts`,
`fact_installments`, `fact_payments`, `fact_invoices`, `fact_refunds`, `fact_expenses`, `fact_targets`, and the
customer half of `fact_follow_ups`), from the sales service's events."""
from __future__ import annotations

from crm_shared.envelope import Envelope
from reporting import events
from reporting.db import (
    fact_contracts,
    fact_customers,
    fact_expenses,
    fact_follow_ups,
    fact_installments,
    fact_invoices,
    fact_opportunities,
    fact_orders,
    fact_payments,
    fact_refunds,
    fact_targets,
)
from reporting.projections.base import Apply, Projection
from reporting.projections.changes import Changes
from reporting.projections.facts import day, money, moment, text


def _at(envelope: Envelope, key: str):
    return moment(envelope.payload.get(key)) or envelope.occurred


# --- customers -------------------------------------------------------------------------------------

def customer_created(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    changes.upsert(
        fact_customers,
        {"customer_id": payload["customer_id"]},
        envelope.occurred,
        first={
            "lead_id": payload.get("lead_id"),
            "channel": text(payload.get("channel"), 50),
            "created_at": _at(envelope, "created_at"),
        },
        state={"name": text(payload.get("name"), 300)},
        guarded={"owner_at": {"owner_id": payload.get("owner_id")}},
    )


def customer_updated(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    changes.upsert(
        fact_customers,
        {"customer_id": payload["customer_id"]},
        envelope.occurred,
        first={"lead_id": payload.get("lead_id"), "channel": text(payload.get("channel"), 50)},
        state={
            "name": text(payload.get("name"), 300),
            "level": text(payload.get("level"), 50),
            "region": text(payload.get("region"), 100),
            "industry": text(payload.get("industry"), 100),
        },
        guarded={"owner_at": {"owner_id": payload.get("owner_id")}},
    )


def customer_owner_moved(envelope: Envelope, changes: Changes) -> None:
    """The customer changed hands (owner_changed) or went back to the public pool (returned: no owner).

    The owner has a time of its own (`owner_at`): these events say nothing of the name or profile, so under
    the state's time they would shut out those of an older creation or edit arriving after them."""
    payload = envelope.payload
    changes.upsert(
        fact_customers,
        {"customer_id": payload["customer_id"]},
        envelope.occurred,
        first={"lead_id": payload.get("lead_id"), "channel": text(payload.get("channel"), 50)},
        guarded={"owner_at": {"owner_id": payload.get("owner_id")}},
    )


# --- opportunities and orders ----------------------------------------------------------------------

def opportunity(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    name = envelope.name
    state = {
        "customer_id": payload.get("customer_id"),
        "name": text(payload.get("name"), 300),
        "stage": text(payload.get("stage"), 50),
        "amount": money(payload.get("amount")),
        "owner_id": payload.get("owner_id"),
    }
    guarded = {}
    if "expected_close_date" in payload:
        guarded["close_date_at"] = {"expected_close_date": day(payload.get("expected_close_date"))}
    if payload.get("win_probability") is not None:
        guarded["probability_at"] = {"win_probability": payload["win_probability"]}
    first = {"lead_id": payload.get("lead_id")}
    if name == events.OPPORTUNITY_CLOSED:
        state["status"] = "won" if payload.get("outcome") == "won" else "lost"
        first["closed_at"] = _at(envelope, "closed_at")
    else:
        state["status"] = "open"  # a closed deal changes no more, so any other event is about an open one
    if name == events.OPPORTUNITY_OPENED:
        first["opened_at"] = _at(envelope, "opened_at")
    changes.upsert(
        fact_opportunities,
        {"opportunity_id": payload["opportunity_id"]},
        envelope.occurred,
        first=first,
        state=state,
        guarded=guarded,
        defaults={"status": "open"},
    )


def order(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    cancelled = envelope.name == events.ORDER_CANCELLED
    first = {
        "opportunity_id": payload.get("opportunity_id"),
        "customer_id": payload.get("customer_id"),
        "owner_id": payload.get("owner_id"),
        "subtotal": money(payload.get("subtotal")),
        "discount": money(payload.get("discount")),
        "tax": money(payload.get("tax")),
        "total": money(payload.get("total")),
    }
    if not cancelled:
        first["placed_at"] = _at(envelope, "placed_at")
    state = {"status": "cancelled", "cancelled_at": _at(envelope, "cancelled_at")} if cancelled else {"status": "placed"}
    changes.upsert(
        fact_orders, {"order_id": payload["order_id"]}, envelope.occurred,
        first=first, state=state, defaults={"status": "placed"},
    )


# --- contracts, plans, payments --------------------------------------------------------------------

def contract(envelope: Envelope, changes: Changes) -> None:
    """Every contract event carries the contract's status and amount after the change."""
    payload = envelope.payload
    first = {"order_id": payload.get("order_id"), "customer_id": payload.get("customer_id"), "title": text(payload.get("title"), 300)}
    if envelope.name == events.CONTRACT_DRAFTED:
        first["drafted_at"] = _at(envelope, "drafted_at")
    if envelope.name == events.CONTRACT_SIGNED:
        first["signed_at"] = _at(envelope, "at")
    changes.upsert(
        fact_contracts,
        {"contract_id": payload["contract_id"]},
        envelope.occurred,
        first=first,
        state={
            "owner_id": payload.get("owner_id"),
            "status": text(payload.get("status"), 20) or "draft",
            "amount": money(payload.get("amount")),
            "start_date": day(payload.get("start_date")),
            "end_date": day(payload.get("end_date")),
        },
        defaults={"status": "draft"},
    )


def payment_plan(envelope: Envelope, changes: Changes) -> None:
    """A plan was made or revised: its installments as planned now; a revision closes or voids others."""
    payload = envelope.payload
    at = envelope.occurred
    for installment in payload.get("installments") or []:
        changes.upsert(
            fact_installments,
            {"installment_id": installment["installment_id"]},
            at,
            first={"contract_id": payload.get("contract_id"), "customer_id": payload.get("customer_id")},
            state={"status": "planned"},
            guarded={
                "plan_at": {
                    "number": installment.get("number"),
                    "planned_amount": money(installment.get("planned_amount")),
                    "planned_date": day(installment.get("planned_date")),
                }
            },
            defaults={"status": "planned"},
        )
    for status, key in (("closed", "closed_installment_ids"), ("voided", "voided_installment_ids")):
        for installment_id in payload.get(key) or []:
            changes.upsert(
                fact_installments, {"installment_id": installment_id}, at,
                first={"contract_id": payload.get("contract_id"), "customer_id": payload.get("customer_id")},
                state={"status": status}, defaults={"status": status},
            )


def payment_received(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    changes.insert_ignoring_duplicates(
        fact_payments,
        [
            {
                "payment_id": payload["payment_id"],
                "contract_id": payload.get("contract_id"),
                "customer_id": payload.get("customer_id"),
                "amount": money(payload.get("amount")),
                "method": text(payload.get("method"), 30),
                "received_on": day(payload.get("received_on")),
                "at": _at(envelope, "at"),
            }
        ],
    )
    for share in payload.get("installments") or []:
        changes.upsert(
            fact_installments, {"installment_id": share["installment_id"]}, envelope.occurred,
            first={"contract_id": payload.get("contract_id"), "customer_id": payload.get("customer_id")},
            add={"paid_amount": money(share.get("amount"))}, defaults={"status": "planned"},
        )


def refund_voids_installments(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    for installment_id in payload.get("voided_installment_ids") or []:
        changes.upsert(
            fact_installments, {"installment_id": installment_id}, envelope.occurred,
            first={"contract_id": payload.get("contract_id"), "customer_id": payload.get("customer_id")},
            state={"status": "voided"}, defaults={"status": "voided"},
        )


# --- invoices, refunds, expenses, targets ---------------------------------------------------------------

def invoice(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    first = {"contract_id": payload.get("contract_id"), "customer_id": payload.get("customer_id"), "kind": text(payload.get("kind"), 20)}
    if envelope.name == events.INVOICE_REQUESTED:
        first["requested_at"] = _at(envelope, "at")
    changes.upsert(
        fact_invoices, {"invoice_id": payload["invoice_id"]}, envelope.occurred,
        first=first,
        state={
            "status": text(payload.get("status"), 20) or "requested",
            "amount": money(payload.get("amount")),
            "tax_rate": money(payload.get("tax_rate")),
            "issued_on": day(payload.get("issued_on")),
        },
        defaults={"status": "requested"},
    )


def refund(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    first = {"contract_id": payload.get("contract_id"), "customer_id": payload.get("customer_id")}
    if envelope.name == events.REFUND_REQUESTED:
        first["requested_at"] = _at(envelope, "at")
    state = {
        "status": text(payload.get("status"), 20) or "requested",
        "amount": money(payload.get("amount")),
        "reason": text(payload.get("reason"), 500),
    }
    if envelope.name == events.REFUND_COMPLETED:
        state["completed_at"] = _at(envelope, "at")
    changes.upsert(
        fact_refunds, {"refund_id": payload["refund_id"]}, envelope.occurred,
        first=first, state=state, defaults={"status": "requested"},
    )
    if envelope.name == events.REFUND_APPROVED:
        refund_voids_installments(envelope, changes)
    if envelope.name == events.REFUND_COMPLETED and payload.get("payment_id"):
        # The money returned is a negative payment in sales, published only as part of the refund.
        amount = money(payload.get("amount"))
        changes.insert_ignoring_duplicates(
            fact_payments,
            [
                {
                    "payment_id": payload["payment_id"],
                    "contract_id": payload.get("contract_id"),
                    "customer_id": payload.get("customer_id"),
                    "amount": -amount if amount is not None else None,
                    "method": "refund",
                    "received_on": _at(envelope, "at").date(),
                    "at": _at(envelope, "at"),
                }
            ],
        )


def expense(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    changes.upsert(
        fact_expenses, {"expense_id": payload["expense_id"]}, envelope.occurred,
        first={"owner_id": payload.get("rep_id"), "customer_id": payload.get("customer_id")},
        state={
            "status": text(payload.get("status"), 20) or "recorded",
            "category": text(payload.get("category"), 50),
            "amount": money(payload.get("amount")),
            "spent_on": day(payload.get("spent_on")),
        },
        defaults={"status": "recorded"},
    )


def target_set(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    changes.upsert(
        fact_targets, {"target_id": payload["target_id"]}, envelope.occurred,
        state={
            "subject_kind": text(payload.get("subject_kind"), 20),
            "subject_id": payload.get("subject_id"),
            "period": text(payload.get("period"), 10),
            "period_start": day(payload.get("period_start")),
            "period_end": day(payload.get("period_end")),
            "metric": text(payload.get("metric"), 30),
            "value": money(payload.get("value")),
        },
    )


def follow_up_recorded(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    changes.insert_ignoring_duplicates(
        fact_follow_ups,
        [
            {
                "follow_up_id": payload["follow_up_id"],
                "subject": "customer",
                "customer_id": payload.get("customer_id"),
                "opportunity_id": payload.get("opportunity_id"),
                "owner_id": payload.get("customer_owner_id"),
                "kind": text(payload.get("kind"), 30),
                "at": _at(envelope, "recorded_at"),
            }
        ],
    )


def _all(names: tuple[str, ...], apply: Apply) -> dict[str, Apply]:
    return dict.fromkeys(names, apply)


HANDLERS: dict[str, Apply] = {
    events.CUSTOMER_CREATED: customer_created,
    events.CUSTOMER_UPDATED: customer_updated,
    events.CUSTOMER_OWNER_CHANGED: customer_owner_moved,
    events.CUSTOMER_RETURNED: customer_owner_moved,
    **_all(events.OPPORTUNITY_EVENTS, opportunity),
    events.ORDER_PLACED: order,
    events.ORDER_CANCELLED: order,
    **_all(events.CONTRACT_EVENTS, contract),
    events.PAYMENT_PLAN_CREATED: payment_plan,
    events.PAYMENT_PLAN_REVISED: payment_plan,
    events.PAYMENT_RECEIVED: payment_received,
    **_all(events.INVOICE_EVENTS, invoice),
    **_all(events.REFUND_EVENTS, refund),
    **_all(events.EXPENSE_EVENTS, expense),
    events.TARGET_SET: target_set,
    events.SALES_FOLLOW_UP_RECORDED: follow_up_recorded,
}

PROJECTION = Projection(
    name="sales_facts",
    tables=(
        fact_customers, fact_opportunities, fact_orders, fact_contracts, fact_installments, fact_payments,
        fact_invoices, fact_refunds, fact_expenses, fact_targets,
    ),
    handlers=HANDLERS,
)
