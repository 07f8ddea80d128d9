"""Reactions of the lead pool to other services' events: functions of (event, unit of work)."""
from typing import Callable

from crm_shared.envelope import Envelope
from leads.uow import LeadsUnitOfWork

# The lead pool reacts to no other service yet; later rules (open opportunities and tickets that
# exclude a lead from recycling) are wired here.
HANDLERS: dict[str, Callable[[Envelope, LeadsUnitOfWork], None]] = {}
