"""Who may see which live event: the one place that decides what each viewer's stream carries.

A sales manager sees an event about someone's lead, customer, deal or ticket only if that person is in
one of the manager's teams (`Identity.team_ids`). The people an event is about are named by
`OWNER_FIELDS`; the gateway worker looks up their teams once, when it stores the event, and every
stream compares them with its viewer's teams (`owner_team_ids` below).
"""
from __future__ import annotations

from typing import AbstractSet, Any, Callable, Mapping

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
CUSTOMER_RETURNED = "sales.customer.returned.v1"
CUSTOMER_OWNER_CHANGED = "sales.customer.owner_changed.v1"
OPPORTUNITY_OPENED = "sales.opportunity.opened.v1"
OPPORTUNITY_CLOSED = "sales.opportunity.closed.v1"
OPPORTUNITY_STAGE_CHANGED = "sales.opportunity.stage_changed.v1"
OPPORTUNITY_UPDATED = "sales.opportunity.updated.v1"
TICKET_OPENED = "service_desk.ticket.opened.v1"
TICKET_CLOSED = "service_desk.ticket.closed.v1"
TICKET_STATUS_CHANGED = "service_desk.ticket.status_changed.v1"
TICKET_REPLIED = "service_desk.ticket.replied.v1"
TICKET_ASSIGNED = "service_desk.ticket.assigned.v1"
TICKET_UPDATED = "service_desk.ticket.updated.v1"
TICKET_REOPENED = "service_desk.ticket.reopened.v1"
TICKET_RATED = "service_desk.ticket.rated.v1"
TICKET_SLA_WARNING = "service_desk.ticket.sla_warning.v1"
TICKET_SLA_BREACHED = "service_desk.ticket.sla_breached.v1"
TICKET_ESCALATED = "service_desk.ticket.escalated.v1"
TICKET_HANDED_BACK = "service_desk.ticket.handed_back.v1"
# A request from the public form: a ticket of no customer yet, new in the desk's queues.
TICKET_SUBMITTED = "service_desk.ticket.submitted.v1"

# Everything that happens to a ticket. Internal notes publish no event and no payload here carries a
# message's text, so relaying these tells a viewer that a ticket changed, never what a note said.
TICKET_EVENTS = (
    TICKET_OPENED,
    TICKET_CLOSED,
    TICKET_STATUS_CHANGED,
    TICKET_REPLIED,
    TICKET_ASSIGNED,
    TICKET_UPDATED,
    TICKET_REOPENED,
    TICKET_RATED,
    TICKET_SLA_WARNING,
    TICKET_SLA_BREACHED,
    TICKET_ESCALATED,
    TICKET_HANDED_BACK,
    TICKET_SUBMITTED,
)

SALES_ROLES = (SALES_REP, SALES_MANAGER)
SERVICE_ROLES = (SERVICE_AGENT, SERVICE_MANAGER)

# The payload fields naming the people an event is about: each of them sees it, and so do the sales
# managers of their teams. A customer changing hands is about both the old and the new owner.
OWNER_FIELDS: dict[str, tuple[str, ...]] = {
    LEAD_CONVERTED: ("owner_id",),
    FOLLOW_UP_LOGGED: ("owner_id",),
    CUSTOMER_CREATED: ("owner_id",),
    CUSTOMER_RETURNED: ("previous_owner_id",),
    CUSTOMER_OWNER_CHANGED: ("owner_id", "previous_owner_id"),
    OPPORTUNITY_OPENED: ("owner_id",),
    OPPORTUNITY_CLOSED: ("owner_id",),
    OPPORTUNITY_STAGE_CHANGED: ("owner_id",),
    OPPORTUNITY_UPDATED: ("owner_id",),
    # Only opened and closed name the customer's owner today. A ticket event without one reaches no
    # one in sales: the gateway keeps no map from tickets to owners, and guessing could show a rep a
    # ticket of a customer that is not theirs. Once the desk adds the field, its owner sees it.
    **{name: ("customer_owner_id",) for name in TICKET_EVENTS},
}

Rule = Callable[[Identity, Mapping[str, Any], AbstractSet[str]], bool]


def owners_of(name: str, payload: Mapping[str, Any]) -> list[str]:
    """The ids of the people the event `name` is about (none for events that are about no one)."""
    found = (payload.get(field) for field in OWNER_FIELDS.get(name, ()))
    return sorted({str(owner) for owner in found if owner not in (None, "")})


def _roles(*roles: str) -> Rule:
    return lambda viewer, payload, owner_team_ids: viewer.has_any(*roles)


def _only_the_owner(owner_field: str) -> Rule:
    return lambda viewer, payload, owner_team_ids: (
        payload.get(owner_field) not in (None, "") and str(payload[owner_field]) == viewer.user_id
    )


def _owners_their_managers_and(name: str, *roles: str) -> Rule:
    """The people the event is about, the sales managers of their teams, and anyone with one of `roles`."""

    def rule(viewer: Identity, payload: Mapping[str, Any], owner_team_ids: AbstractSet[str]) -> bool:
        if viewer.has_any(*roles):
            return True
        owners = owners_of(name, payload)
        if viewer.user_id in owners:
            return True
        # An event about no one is no team's business, whatever teams were stored with it.
        return bool(owners) and viewer.has_any(SALES_MANAGER) and not viewer.team_ids.isdisjoint(owner_team_ids)

    return rule


RULES: dict[str, Rule] = {
    # The pool is everyone's in sales: a rep sees leads arrive and disappear as others claim them.
    LEAD_CREATED: _roles(*SALES_ROLES, ADMIN),
    LEAD_CLAIMED: _roles(*SALES_ROLES, ADMIN),
    # A lead back in a pool (returned by its owner, or recycled by a rule) shows up on that pool's pages.
    LEAD_RETURNED: _roles(*SALES_ROLES, ADMIN),
    LEAD_RECYCLED: _roles(*SALES_ROLES, ADMIN),
    # Distributing takes a lead out of the pool like a claim does.
    LEAD_DISTRIBUTED: _roles(*SALES_ROLES, ADMIN),
    LEAD_CONVERTED: _owners_their_managers_and(LEAD_CONVERTED, ADMIN),
    # A reminder is a note to oneself: only its owner, not even an admin.
    REMINDER_DUE: _only_the_owner("owner_id"),
    FOLLOW_UP_LOGGED: _owners_their_managers_and(FOLLOW_UP_LOGGED, ADMIN),
    # Customers are everyone's in service: agents look them up when a ticket comes in.
    CUSTOMER_CREATED: _owners_their_managers_and(CUSTOMER_CREATED, EXECUTIVE, ADMIN, *SERVICE_ROLES),
    CUSTOMER_RETURNED: _owners_their_managers_and(CUSTOMER_RETURNED, EXECUTIVE, ADMIN, *SERVICE_ROLES),
    CUSTOMER_OWNER_CHANGED: _owners_their_managers_and(CUSTOMER_OWNER_CHANGED, EXECUTIVE, ADMIN, *SERVICE_ROLES),
    OPPORTUNITY_OPENED: _owners_their_managers_and(OPPORTUNITY_OPENED, EXECUTIVE, ADMIN),
    OPPORTUNITY_CLOSED: _owners_their_managers_and(OPPORTUNITY_CLOSED, EXECUTIVE, ADMIN),
    # A deal moving or changing on the kanban: the same people as its opening and closing.
    OPPORTUNITY_STAGE_CHANGED: _owners_their_managers_and(OPPORTUNITY_STAGE_CHANGED, EXECUTIVE, ADMIN),
    OPPORTUNITY_UPDATED: _owners_their_managers_and(OPPORTUNITY_UPDATED, EXECUTIVE, ADMIN),
    # Tickets are everyone's in service, and executives read everything; in sales, the customer's owner.
    **{name: _owners_their_managers_and(name, *SERVICE_ROLES, EXECUTIVE, ADMIN) for name in TICKET_EVENTS},
}

LIVE_EVENTS = tuple(RULES)


def may_see(
    viewer: Identity, name: str, payload: Mapping[str, Any], owner_team_ids: AbstractSet[str] = frozenset()
) -> bool:
    """True if `viewer` may receive the event `name` with `payload`; events without a rule go to nobody.

    `owner_team_ids`: the teams of the people the event is about (`owners_of`), as stored with the event.
    """
    rule = RULES.get(name)
    return rule is not None and rule(viewer, payload, owner_team_ids)
