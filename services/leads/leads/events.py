"""The events the leads service publishes: names and payloads (see contracts/ for examples)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from leads.config import SERVICE
from leads.domain import LeadClaimed, LeadConverted, LeadCreated, LeadDistributed, LeadReturned

LEAD_CREATED = "leads.lead.created.v1"
LEAD_CLAIMED = "leads.lead.claimed.v1"
LEAD_CONVERTED = "leads.lead.converted.v1"
LEAD_RETURNED = "leads.lead.returned.v1"
LEAD_DISTRIBUTED = "leads.lead.distributed.v1"


def _time(moment) -> str | None:
    return format_time(moment) if moment else None


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
            "converted_at": _time(lead.converted_at),
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
            "pool_id": lead.pool_id,
            "owner_id": lead.owner_id,
            "distributed_by": event.distributed_by,
            "channel": lead.channel,
            "distributed_at": _time(lead.claimed_at),
        }
    else:
        raise TypeError(f"no wire form for {type(event).__name__}")
    return Envelope.new(name, payload, producer=SERVICE)
