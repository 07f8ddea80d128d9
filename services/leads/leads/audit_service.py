"""Reading a lead's audit trail: for whoever may see the lead, with contacts masked as the lead is."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select

from crm_shared import audit
from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from leads.db import audit_log, claimants
from leads.service import _views, member_of, visible_lead
from leads.uow import LeadsUnitOfWork

UowFactory = Callable[[], LeadsUnitOfWork]

# What a public pool lead's mask hides (Lead.view); events such as a conversion carry them in their payload.
MASKED_FIELDS = ("phone", "email")


def lead_audit(uow_factory: UowFactory, lead_id: str, viewer: Identity, limit: int, offset: int) -> dict:
    """Who changed the lead, when and how, newest first; 404 unless the viewer may see the lead."""
    with uow_factory() as uow:
        member = member_of(uow, viewer)
        lead, pool = visible_lead(uow, lead_id, member)
        masked = _views(uow, [lead], {pool.id: pool}, member, utc_now())[0]["masked"]
        page = audit.trail(uow.session, audit_log, "lead", lead_id, limit=limit, offset=offset,
                           names_of=lambda ids: _names(uow, ids))
    if masked:
        for item in page["items"]:
            item["details"] = {key: ("***" if key in MASKED_FIELDS and value else value)
                               for key, value in item["details"].items()}
    return page


def _names(uow: LeadsUnitOfWork, user_ids: set[str]) -> dict[str, str]:
    rows = uow.session.execute(
        select(claimants.c.user_id, claimants.c.display_name, claimants.c.username)
        .where(claimants.c.user_id.in_(user_ids))
    )
    return {user_id: display or username for user_id, display, username in rows if display or username}
