"""A contract's journal: every event about a contract, kept with it in the same transaction, oldest first.

Each line says what happened (the event), who did it (the envelope's actor), when, which record it is
about (the contract, an installment, a payment, an invoice, a refund) and, where another record made it
happen, that record: the refund that voided or amended the contract, the approval request that decided.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from crm_shared.envelope import Envelope
from sales.db_orders_contracts import contract_amendments, contract_journal
from sales.contracts import ContractAmendment

# Verbs an approval decision causes (a refund is applied on approval): the request made them happen.
DECIDED_OR_APPLIED = ("approved", "rejected", "sent_back", "completed")


@dataclass(frozen=True)
class JournalEntry:
    event_id: str
    event_name: str
    occurred_at: datetime
    actor_id: str | None
    record_kind: str
    record_id: str
    caused_by_kind: str | None
    caused_by_id: str | None
    details: dict


def journal_row(envelope: Envelope) -> dict | None:
    """The history line an event makes for its contract; None for an event about no contract."""
    payload = envelope.payload
    contract_id = payload.get("contract_id")
    if not contract_id:
        return None
    _service, aggregate, verb, _version = envelope.name.split(".")
    cause = (None, None)
    if aggregate != "refund" and payload.get("refund_id"):
        cause = ("refund", payload["refund_id"])
    elif verb in DECIDED_OR_APPLIED and payload.get("approval_request_id"):
        cause = ("approval_request", payload["approval_request_id"])
    return {
        "contract_id": contract_id,
        "event_id": envelope.id,
        "event_name": envelope.name,
        "occurred_at": envelope.occurred,
        "actor_id": envelope.actor,
        "record_kind": aggregate,
        "record_id": payload.get(f"{aggregate}_id") or contract_id,
        "caused_by_kind": cause[0],
        "caused_by_id": cause[1],
        "details": payload,
    }


class ContractJournal:
    def __init__(self, session: Session):
        self.session = session

    def record(self, envelopes: list[Envelope]) -> None:
        rows = [row for row in map(journal_row, envelopes) if row is not None]
        if rows:
            self.session.execute(insert(contract_journal), rows)

    def of_contract(self, contract_id: str) -> list[JournalEntry]:
        columns = [contract_journal.c[name] for name in JournalEntry.__dataclass_fields__]
        rows = self.session.execute(select(*columns).where(contract_journal.c.contract_id == contract_id)
                                    .order_by(contract_journal.c.id))
        return [JournalEntry(**row._mapping) for row in rows]


class ContractAmendments:
    def __init__(self, session: Session):
        self.session = session

    def add(self, amendment: ContractAmendment) -> None:
        self.session.add(amendment)

    def of_contract(self, contract_id: str) -> list[ContractAmendment]:
        return list(self.session.scalars(select(ContractAmendment)
                                         .where(contract_amendments.c.contract_id == contract_id)
                                         .order_by(contract_amendments.c.amended_at, contract_amendments.c.id)))
