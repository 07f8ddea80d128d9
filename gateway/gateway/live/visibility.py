"""Who may see which live event: the one place that decides what each viewer's stream carries."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SALES_REP, SERVICE_AGENT, SERVICE_MANAGER, Identity

LEAD_CREATED = "leads.lead.created.v1"
LEAD_CLAIMED = "leads.lead.claimed.v1"
LEAD_CONVERTED = "leads.lead.converted.v1"
LEAD_RETURNED = "leads.lead.returned.v1"
LEAD_RECYCLED = "leads.lead.recycled.v1"
LEAD_DISTRIBUTED = "leads.lead.distributed.v1"
REMINDER_DUE = "leads.reminder.due.v1"
FOLLOW_UP_LOGGED = "leads.follow_up.logged.v1"
CUSTOMER_CREATED = "sales.customer.created.v1"
TICKET_OPENED = "service_desk.ticket.opened.v1"

SALES_ROLES = (SALES_REP, SALES_MANAGER)
SERVICE_ROLES = (SERVICE_AGENT, SERVICE_MANAGER)

Rule = Callable[[Identity, Mapping[str, Any]], bool]


def _roles(*roles: str) -> Rule:
    return lambda viewer, payload: viewer.has_any(*roles)


def _owner(owner_field: str) -> Rule:
    return _roles_or_owner(owner_field)


def _roles_or_owner(owner_field: str, *roles: str) -> Rule:
    return lambda viewer, payload: viewer.has_any(*roles) or (
        payload.get(owner_field) is not None and str(payload.get(owner_field)) == viewer.user_id
    )


RULES: dict[str, Rule] = {
    # The pool is everyone's in sales: a rep sees leads arrive and disappear as others claim them.
    LEAD_CREATED: _roles(*SALES_ROLES, ADMIN),
    LEAD_CLAIMED: _roles(*SALES_ROLES, ADMIN),
    # A lead back in a pool (returned by its owner, or recycled by a rule) shows up on that pool's pages.
    LEAD_RETURNED: _roles(*SALES_ROLES, ADMIN),
    LEAD_RECYCLED: _roles(*SALES_ROLES, ADMIN),
    # Distributing takes a lead out of the pool like a claim does.
    LEAD_DISTRIBUTED: _roles(*SALES_ROLES, ADMIN),
    LEAD_CONVERTED: _roles_or_owner("owner_id", SALES_MANAGER, ADMIN),
    # A reminder is a note to oneself: only its owner, not even an admin.
    REMINDER_DUE: _owner("owner_id"),
    FOLLOW_UP_LOGGED: _roles_or_owner("owner_id", SALES_MANAGER, ADMIN),
    CUSTOMER_CREATED: _roles_or_owner("owner_id", SALES_MANAGER, EXECUTIVE, ADMIN, *SERVICE_ROLES),
    TICKET_OPENED: _roles_or_owner("customer_owner_id", *SERVICE_ROLES, SALES_MANAGER, ADMIN),
}

LIVE_EVENTS = tuple(RULES)


def may_see(viewer: Identity, name: str, payload: Mapping[str, Any]) -> bool:
    """True if `viewer` may receive the event `name` with `payload`; events without a rule go to nobody."""
    rule = RULES.get(name)
    return rule is not None and rule(viewer, payload)
