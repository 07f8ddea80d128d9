"""Reading a ticket's audit trail: for whoever may see the ticket, refused as the ticket is."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select

from crm_shared import audit
from crm_shared.auth import Identity
from service_desk.db import audit_log
from service_desk.db_workflow import directory
from service_desk.service import visible_ticket
from service_desk.uow import ServiceDeskUnitOfWork

UowFactory = Callable[[], ServiceDeskUnitOfWork]


def ticket_audit(uow_factory: UowFactory, ticket_id: str, viewer: Identity, limit: int, offset: int) -> dict:
    """Who changed the ticket, when and how, newest first; 404 unless the viewer may see the ticket."""
    with uow_factory() as uow:
        visible_ticket(uow, ticket_id, viewer)
        return audit.trail(uow.session, audit_log, "ticket", ticket_id, limit=limit, offset=offset,
                           names_of=lambda ids: _names(uow, ids))


def _names(uow: ServiceDeskUnitOfWork, user_ids: set[str]) -> dict[str, str]:
    users = directory.users.c
    rows = uow.session.execute(select(users.user_id, users.display_name).where(users.user_id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}
