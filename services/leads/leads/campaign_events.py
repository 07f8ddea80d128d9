"""The wire form of the campaign materials' events (names in leads/events.py, examples in contracts/)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from leads.campaigns import MaterialClicked, MaterialSent
from leads.config import SERVICE
from leads.events import MATERIAL_CLICKED, MATERIAL_SENT


def sent_envelope(event: MaterialSent, campaign_code: str | None) -> Envelope:
    """`channel` is the lead's acquisition channel, as in every leads.* event."""
    delivery = event.delivery
    return Envelope.new(MATERIAL_SENT, {
        "delivery_id": delivery.id,
        "material_id": delivery.material_id,
        "lead_id": delivery.lead_id,
        "owner_id": event.recipient.owner_id,
        "campaign_id": event.material.campaign_id,
        "campaign_code": campaign_code,
        "channel": event.recipient.channel,
        "sent_by": delivery.sent_by,
        "sent_at": format_time(delivery.sent_at),
    }, producer=SERVICE)


def clicked_envelope(event: MaterialClicked, campaign_code: str | None) -> Envelope:
    return Envelope.new(MATERIAL_CLICKED, {
        "delivery_id": event.delivery_id,
        "material_id": event.material_id,
        "lead_id": event.lead_id,
        "owner_id": event.owner_id,
        "campaign_id": event.campaign_id,
        "campaign_code": campaign_code,
        "channel": event.channel,
        "clicked_at": format_time(event.clicked_at),
    }, producer=SERVICE)
