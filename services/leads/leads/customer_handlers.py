"""A customer its owner returned in sales comes back to the lead pool: its lead waits in a public pool again."""
from __future__ import annotations

import logging

from crm_shared.envelope import Envelope, utc_now
from leads.pools import Member, public_pool_for
from leads.timeline_handlers import _id
from leads.uow import LeadsUnitOfWork

log = logging.getLogger(__name__)

CUSTOMER_RETURNED = "sales.customer.returned.v1"


def take_back_returned_customer(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """Put the customer's lead, with its whole history, in the public pool its last owner's returns go to.

    Publishes `leads.lead.returned.v1` (reason `customer_returned`); whoever claims the lead then owns the
    customer in sales too (sales follows `leads.lead.claimed.v1`).
    """
    payload = envelope.payload
    customer_id, previous_owner_id = _id(payload, "customer_id"), _id(payload, "previous_owner_id")
    reason = str(payload.get("reason") or "")
    lead_id = payload.get("lead_id") or uow.customer_leads.lead_of(customer_id)
    if not lead_id:
        return  # a customer sales created directly: no lead of ours
    lead = uow.leads.get(lead_id)
    if lead is None:
        log.warning("customer %s was returned, but its lead %s is not here", customer_id, lead_id)
        return
    roles, teams = uow.claimants.known(previous_owner_id)
    owner = Member(previous_owner_id, roles, teams, tuple(uow.markets.assigned_to(previous_owner_id, teams)))
    target = public_pool_for(owner, uow.pools.all())
    if lead.customer_id is None:
        lead.became_customer(customer_id)
    if not lead.back_with_customer(target.id, previous_owner_id, reason, utc_now()):
        log.info("lead %s of returned customer %s is in a pool already", lead_id, customer_id)
