"""Where other parts of the desk plug into ticket use cases: workflow rules after a change, SLA state on reads."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

# Plain lists, filled by hand in `create_app()` / the worker's `main()`; empty, the use cases simply skip them.
ON_CREATE = "on_create"
ON_UPDATE = "on_update"

# (uow, ticket, trigger, actor_id) -> None: runs inside the use case's transaction, before its commit.
AFTER_CHANGE: list[Callable[[Any, Any, str, str | None], None]] = []
# (uow, tickets, now) -> {ticket_id: sla dict}: the SLA state shown with tickets that are read.
SLA_READERS: list[Callable[[Any, list, datetime], dict[str, dict]]] = []


def after_change(uow, ticket, trigger: str, actor_id: str | None) -> None:
    """Let the workflow rules (and anything else registered) react to a ticket opened or changed."""
    for hook in AFTER_CHANGE:
        hook(uow, ticket, trigger, actor_id)


def attach_sla(uow, tickets: list, now: datetime) -> None:
    """Set `ticket.sla` on each ticket read (None when no SLA reader is registered or none applies)."""
    found: dict[str, dict] = {}
    for reader in SLA_READERS:
        found.update(reader(uow, tickets, now))
    for ticket in tickets:
        ticket.sla = found.get(ticket.id)
