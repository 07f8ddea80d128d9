"""Whose records a viewer's figures may count: the one place reporting decides data scope.

- all: admins and executives see every record; service managers and agents every ticket;
- team: a sales manager sees records owned by themselves or by anyone in one of their teams;
- own: everyone else sees the records they own (a rep's customers, deals, payments, leads; the tickets
  of their customers).
Every dashboard and report filters through `owned_by_scope`; a scheduled report builds the scope of its
recipient (from the directory copy), never its author's.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, literal, select, true, union

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SERVICE_AGENT, SERVICE_MANAGER, Identity
from reporting.db import directory

ALL = "all"
TEAM = "team"
OWN = "own"
SCOPES = (OWN, TEAM, ALL)

SEES_ALL = frozenset({ADMIN, EXECUTIVE})
# Tickets belong to the desk: its people see every ticket in their reports.
SEES_ALL_TICKETS = frozenset({SERVICE_MANAGER, SERVICE_AGENT})


@dataclass(frozen=True)
class Scope:
    """A viewer and how far their figures reach."""

    user_id: str
    level: str  # own, team, all
    team_ids: frozenset[str]
    sees_all_tickets: bool = False


def scope_of(identity: Identity) -> Scope:
    """The widest scope the viewer's roles give them."""
    if identity.has_any(*SEES_ALL):
        level = ALL
    elif identity.has_any(SALES_MANAGER) and identity.team_ids:
        level = TEAM
    else:
        level = OWN
    return Scope(identity.user_id, level, frozenset(identity.team_ids), identity.has_any(*SEES_ALL_TICKETS))


def narrowed(scope: Scope, level: str) -> Scope:
    """The scope a viewer asked for (e.g. "own" on a manager's dashboard), never wider than theirs."""
    if SCOPES.index(level) >= SCOPES.index(scope.level):
        return scope
    return Scope(scope.user_id, level, scope.team_ids, scope.sees_all_tickets and level == ALL)


def owned_by_scope(scope: Scope, owner: ColumnElement, *, tickets: bool = False) -> ColumnElement:
    """A WHERE condition: the record whose owner is `owner` is within the viewer's scope."""
    if scope.level == ALL or (tickets and scope.sees_all_tickets):
        return true()
    if scope.level == TEAM:
        members = select(directory.user_teams.c.user_id).where(directory.user_teams.c.team_id.in_(sorted(scope.team_ids)))
        # One IN over a union rather than "mine OR my team's": the planner can then use an index on the
        # owner (an OR of the two forces a scan of every row in the period).
        return owner.in_(union(members, select(literal(scope.user_id))))
    if not scope.user_id:
        return false()
    return owner == scope.user_id
