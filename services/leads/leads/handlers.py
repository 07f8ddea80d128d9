"""Reactions of the lead pool to other services' events: functions of (event, unit of work)."""
from typing import Callable

from crm_shared.envelope import Envelope
from leads.recycling_handlers import note_ticket_opened
from leads.timeline_handlers import CUSTOMER_CREATED, TICKET_OPENED, remember_customer_of_lead
from leads.uow import LeadsUnitOfWork

# Open opportunities would exclude a lead from recycling too, but no sales event reports them yet.
HANDLERS: dict[str, Callable[[Envelope, LeadsUnitOfWork], None]] = {
    CUSTOMER_CREATED: remember_customer_of_lead,
    # The timeline line, and the open ticket that keeps the lead from being recycled.
    TICKET_OPENED: note_ticket_opened,
}
