"""The events the leads service publishes: names and payloads (see contracts/ for examples)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from leads.config import SERVICE
from leads.domain import LeadClaimed, LeadConverted, LeadCreated, LeadDistributed, LeadRecycled, LeadReturned

LEAD_CREATED = "leads.lead.created.v1"
LEAD_CLAIMED = "leads.lead.claimed.v1"
LEAD_CONVERTED = "leads.lead.converted.v1"
LEAD_RETURNED = "leads.lead.returned.v1"
LEAD_DISTRIBUTED = "leads.lead.distributed.v1"
# The recycle job took a lead back from its owner (see leads/recycling_service.py).
LEAD_RECYCLED = "leads.lead.recycled.v1"
# Campaign materials: wire forms in leads/campaign_events.py.
MATERIAL_SENT = "leads.material.sent.v1"
MATERIAL_CLICKED = "leads.material.clicked.v1"
# Follow-ups and reminders: wire forms in leads/follow_up_events.py.
FOLLOW_UP_LOGGED = "leads.follow_up.logged.v1"
REMINDER_DUE = "leads.reminder.due.v1"
# Duplicates merged: wire form in leads/duplicates.py.
LEAD_MERGED = "leads.lead.merged.v1"


def _time(moment) -> str | None:
    return format_time(moment) if moment else None


def _opportunity(opportunity) -> dict | None:
    """The deal named at conversion, money as a decimal string."""
    if opportunity is None:
        return None
    return {
        "name": opportunity.name,
        "amount": str(opportunity.amount),
        "currency": opportunity.currency,
        "expected_close_date": opportunity.expected_close_date.isoformat() if opportunity.expected_close_date else None,
    }


def to_envelope(event) -> Envelope:
    """The wire form of a domain event: ids and the facts consumers need, never a row dump."""
    lead = event.lead
    if isinstance(event, LeadCreated):
        name = LEAD_CREATED
        payload = {
            "lead_id": lead.id,
            "company": lead.company,
            "contact_name": lead.contact_name,
            "channel": lead.channel,
            "status": lead.status,
            "created_at": _time(lead.created_at),
            "pool_id": lead.pool_id,
            "region": lead.region,
            "industry": lead.industry,
            "campaign": lead.campaign,
        }
    elif isinstance(event, LeadClaimed):
        name = LEAD_CLAIMED
        payload = {
            "lead_id": lead.id,
            # Set when the lead came back from sales with its customer: sales gives the customer to the claimer.
            "customer_id": lead.customer_id,
            "owner_id": lead.owner_id,
            "channel": lead.channel,
            "claimed_at": _time(lead.claimed_at),
            "version": lead.version,
            "pool_id": lead.pool_id,
            "region": lead.region,
            "industry": lead.industry,
            "campaign": lead.campaign,
        }
    elif isinstance(event, LeadConverted):
        name = LEAD_CONVERTED
        payload = {
            "lead_id": lead.id,
            "owner_id": lead.owner_id,
            "company": lead.company,
            "contact_name": lead.contact_name,
            "phone": lead.phone,
            "email": lead.email,
            "channel": lead.channel,
            "region": lead.region,
            "industry": lead.industry,
            "campaign": lead.campaign,
            "converted_at": _time(lead.converted_at),
            "opportunity": _opportunity(event.opportunity),
        }
    elif isinstance(event, LeadReturned):
        name = LEAD_RETURNED
        payload = {
            "lead_id": lead.id,
            "pool_id": lead.pool_id,
            "previous_owner_id": event.previous_owner_id,
            "reason": event.reason,
            "channel": lead.channel,
            "returned_at": _time(lead.entered_pool_at),
        }
    elif isinstance(event, LeadDistributed):
        name = LEAD_DISTRIBUTED
        payload = {
            "lead_id": lead.id,
            "customer_id": lead.customer_id,
            "pool_id": lead.pool_id,
            "owner_id": lead.owner_id,
            "distributed_by": event.distributed_by,
            "channel": lead.channel,
            "distributed_at": _time(lead.claimed_at),
            "strategy": event.strategy,
        }
    elif isinstance(event, LeadRecycled):
        name = LEAD_RECYCLED
        payload = {
            "lead_id": lead.id,
            "pool_id": lead.pool_id,
            "previous_owner_id": event.previous_owner_id,
            "rule": event.rule,
            "reason": event.reason,
            "channel": lead.channel,
            "recycled_at": _time(lead.entered_pool_at),
        }
    else:
        raise TypeError(f"no wire form for {type(event).__name__}")
    return Envelope.new(name, payload, producer=SERVICE)
