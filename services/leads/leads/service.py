"""The use cases of the lead pool: the only place that commits."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import ADMIN, SALES_MANAGER, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from leads.domain import Lead, LeadRuleViolation
from leads.repository import LeadQuery
from leads.uow import LeadsUnitOfWork

UowFactory = Callable[[], LeadsUnitOfWork]
MANAGERS = (ADMIN, SALES_MANAGER)


def _visible(lead: Lead | None, lead_id: str, viewer: Identity) -> Lead:
    if lead is None:
        raise NotFound("lead", lead_id)
    if viewer.has_any(*MANAGERS) or lead.status == "pool" or lead.owner_id == viewer.user_id:
        return lead
    # Another rep's lead: answer as if it did not exist, so ids cannot be probed.
    raise NotFound("lead", lead_id)


def create_lead(uow_factory: UowFactory, fields: dict) -> Lead:
    with uow_factory() as uow:
        lead = Lead.register(now=utc_now(), **fields)
        uow.leads.add(lead)
        uow.commit()
        return lead


def get_lead(uow_factory: UowFactory, lead_id: str, viewer: Identity) -> Lead:
    with uow_factory() as uow:
        return _visible(uow.leads.get(lead_id), lead_id, viewer)


def list_leads(uow_factory: UowFactory, query: LeadQuery, viewer: Identity) -> tuple[list[Lead], int]:
    if not viewer.has_any(*MANAGERS):
        query = LeadQuery(**{**query.__dict__, "visible_to_owner": viewer.user_id})
    with uow_factory() as uow:
        return uow.leads.list(query)


def claim_lead(uow_factory: UowFactory, lead_id: str, rep: Identity) -> Lead:
    """Exactly one of simultaneous claims wins; the version check turns the others into 409."""
    try:
        with uow_factory() as uow:
            lead = uow.leads.get(lead_id)
            if lead is None:
                raise NotFound("lead", lead_id)
            # No visibility check: a rep who lost the race must learn it was claimed (409), not 404.
            lead.claim(rep.user_id, utc_now())
            uow.commit()
            return lead
    except StaleDataError as error:
        raise LeadRuleViolation("lead_already_claimed", "Someone else has already claimed this lead.") from error


def convert_lead(uow_factory: UowFactory, lead_id: str, user: Identity) -> Lead:
    try:
        with uow_factory() as uow:
            lead = _visible(uow.leads.get(lead_id), lead_id, user)
            lead.convert(user.user_id, utc_now())
            uow.commit()
            return lead
    except StaleDataError as error:
        raise LeadRuleViolation("lead_changed", "The lead changed while you were converting it; try again.") from error
