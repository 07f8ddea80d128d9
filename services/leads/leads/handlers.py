"""Reactions of the lead pool to other services' events: functions of (event, unit of work)."""
from typing import Callable

from crm_shared.envelope import Envelope
from leads.directory_handlers import USER_CHANGED, USER_REGISTERED, keep_user_in_directory
from leads.customer_handlers import CUSTOMER_RETURNED, take_back_returned_customer
from leads.recycling_handlers import (
    note_opportunity_closed,
    note_opportunity_opened,
    note_ticket_closed,
    note_ticket_opened,
    note_ticket_reopened,
)
from leads.timeline_handlers import (
    CUSTOMER_CREATED,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_OPENED,
    TICKET_CLOSED,
    TICKET_OPENED,
    TICKET_REOPENED,
    remember_customer_of_lead,
)
from leads.uow import LeadsUnitOfWork

HANDLERS: dict[str, Callable[[Envelope, LeadsUnitOfWork], None]] = {
    CUSTOMER_CREATED: remember_customer_of_lead,
    # The timeline line, and the open ticket that keeps the lead from being recycled.
    TICKET_OPENED: note_ticket_opened,
    TICKET_CLOSED: note_ticket_closed,
    TICKET_REOPENED: note_ticket_reopened,
    # Open opportunities keep a lead from being recycled too; each one is a line on its timeline.
    OPPORTUNITY_OPENED: note_opportunity_opened,
    OPPORTUNITY_CLOSED: note_opportunity_closed,
    # The owner gave the customer back in sales: its lead returns to a public pool, history and all.
    CUSTOMER_RETURNED: take_back_returned_customer,
    # The user directory: roles, teams and active flags for capacity, distribution and managers' views.
    USER_REGISTERED: keep_user_in_directory,
    USER_CHANGED: keep_user_in_directory,
}
