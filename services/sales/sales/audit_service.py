"""Reading a sales record's audit trail: for whoever may read the record itself, with the same refusal."""
from __future__ import annotations

from typing import Callable, Mapping

from sqlalchemy import select

from crm_shared import audit
from crm_shared.auth import Identity
from sales import contract_service, invoice_service, order_service, payment_service, refund_service, service
from sales.db import audit_log
from sales.db_customers_pipeline import directory
from sales.uow import UowFactory

# Each record type's own read: it decides who may see the record (404 or 403), so its trail is refused alike.
RECORD_READS: Mapping[str, Callable[[UowFactory, str, Identity], object]] = {
    "customer": service.get_customer,
    "opportunity": service.get_opportunity,
    "order": order_service.get_order,
    "contract": contract_service.read_contract,
    "payment": payment_service.get_payment,
    "invoice": invoice_service.get_invoice,
    "refund": refund_service.get_refund,
}


def record_audit(uow_factory: UowFactory, record_type: str, record_id: str, viewer: Identity, limit: int,
                 offset: int) -> dict:
    """Who changed the record, when and how, newest first; refused exactly as reading the record is."""
    RECORD_READS[record_type](uow_factory, record_id, viewer)
    with uow_factory() as uow:
        return audit.trail(uow.session, audit_log, record_type, record_id, limit=limit, offset=offset,
                           names_of=lambda ids: _names(uow, ids))


def _names(uow, user_ids: set[str]) -> dict[str, str]:
    users = directory.users.c
    rows = uow.session.execute(select(users.user_id, users.display_name).where(users.user_id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}
