"""The predefined dashboards: one function per dashboard, each gathering grouped sums and shaping them.

A dashboard gathers its figures from one of two sources, which give identical results: the fact tables
(summed here, per request) or the roll-ups PostgreSQL keeps per day (dashboard_rollups.py, a few small rows
per period). Either way every sum is grouped in SQL within the viewer's scope (reporting.scopes), and the
shaping below, shared by both, only adds up the few grouped rows (campaigns into channels, reps into teams).

Every fact query starts from an indexed time column of its fact table (or a small current state, like the
open pipeline). Records without an owner column of their own (installments, payments, invoices, refunds)
count for their customer's current owner.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, Numeric, and_, case, cast, func, or_, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from reporting import dashboard_rollups, rollup_sql
from reporting.config import reporting_time_zone
from reporting.db import (
    directory,
    directory_team_names,
    fact_contracts,
    fact_customers,
    fact_expenses,
    fact_follow_ups,
    fact_installments,
    fact_invoices,
    fact_leads,
    fact_opportunities,
    fact_payments,
    fact_pool_moves,
    fact_refunds,
    fact_targets,
    fact_tickets,
)
from reporting.periods import Period, midnight
from reporting.scopes import ALL, TEAM, Scope, owned_by_scope

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

FACTS = "facts"
ROLLUPS = "rollups"
SOURCES = (FACTS, ROLLUPS)


def reads_rollups(session: Session, period: Period, source: str | None) -> bool:
    """Whether a dashboard reads the roll-ups: as `source` says, or (None) when they count the period's days."""
    if source is None:
        return rollup_sql.rollups_ready(session) and period.zone.key == reporting_time_zone().key
    if source not in SOURCES:
        raise ValueError(f"There is no dashboard source {source!r}; use one of: {', '.join(SOURCES)}.")
    return source == ROLLUPS


# ---------------------------------------------------------------- SQL building blocks

class _MoneyTotal(TypeDecorator):
    """A sum of money as an exact Decimal with 2 places (SQLite, which keeps money as text, sums in floats)."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Float(asdecimal=False))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_result_value(self, value, dialect):
        if value is None:
            return ZERO
        return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(CENT)


class _Seconds(TypeDecorator):
    """A number of seconds as a float on every backend."""

    impl = Float
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else float(value)


class _AsNumber(FunctionElement):
    """A money column as a number: SQLite keeps money as text, which would compare and add as text."""

    inherit_cache = True
    type = Numeric()


@compiles(_AsNumber)
def _as_number_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_AsNumber, "sqlite")
def _as_number_sqlite(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS NUMERIC)"


class _SecondsBetween(FunctionElement):
    """Wall-clock seconds from the first timestamp to the second."""

    inherit_cache = True
    type = _Seconds()


@compiles(_SecondsBetween)
def _seconds_between_default(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(_SecondsBetween, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def _number(column: ColumnElement) -> ColumnElement:
    return _AsNumber(column)


def _money_sum(value: ColumnElement, where: ColumnElement | None = None) -> ColumnElement:
    summed = _number(value) if where is None else case((where, _number(value)))
    return type_coerce(func.coalesce(func.sum(summed), 0), _MoneyTotal())


def _count_where(condition: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _seconds_sum(start: ColumnElement, end: ColumnElement, where: ColumnElement) -> ColumnElement:
    return type_coerce(func.sum(case((where, _SecondsBetween(start, end)))), _Seconds())


def _in_period(column: ColumnElement, period: Period) -> ColumnElement:
    """A timestamp within the period's days."""
    return and_(column >= period.start, column < period.end)


def _on_days(column: ColumnElement, period: Period) -> ColumnElement:
    """A calendar date within the period."""
    return and_(column >= period.first, column <= period.last)


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(7)}


def _rounded(value: Decimal, places: int) -> float:
    # Half up, as people round (Python's round() halves to even on the binary value).
    return float(value.quantize(_QUANTA[places], rounding=ROUND_HALF_UP))


def rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    """part / whole rounded to 4 places; None when the whole is 0."""
    if not whole:
        return None
    return _rounded(Decimal(part) / Decimal(whole), 4)


def _average(total: float | None, count: int, per: int) -> float | None:
    if not count or total is None:
        return None
    return _rounded(Decimal(repr(total)) / count / per, 2)


def _customer_owner():
    # The current owner of a record that has none of its own: its customer's (outer join: in the "all"
    # scope a payment of a customer reporting has not heard of still counts).
    return fact_customers.c.owner_id


def _add(target: dict, source: dict) -> None:
    for key, value in source.items():
        target[key] = target.get(key, 0) + value


# ---------------------------------------------------------------- acquisition

ACQUISITION_COUNTERS = (
    "leads_acquired", "leads_claimed", "leads_converted", "customers_created", "opportunities_opened", "deals_won",
    "won_amount", "tickets_opened",
)


def acquisition(session: Session, scope: Scope, period: Period, *, source: str | None = None) -> dict[str, Any]:
    """Per channel and campaign: leads acquired, claimed, converted; customers, opportunities, deals won, tickets."""
    if reads_rollups(session, period, source):
        groups = dashboard_rollups.acquisition_sums(session, scope, period)
    else:
        groups = _acquisition_sums(session, scope, period)
    return _acquisition_figures(groups)


def _empty_acquisition_sums() -> dict:
    return {**dict.fromkeys(ACQUISITION_COUNTERS, 0), "won_amount": ZERO, "acquired_converted": 0}


def _acquisition_sums(session: Session, scope: Scope, period: Period) -> dict[tuple, dict]:
    """{(channel, campaign): sums} of the facts, for each pair with something in the period."""
    leads, customers, deals, tickets = fact_leads.c, fact_customers.c, fact_opportunities.c, fact_tickets.c
    groups: dict[tuple, dict] = defaultdict(_empty_acquisition_sums)

    def take(query, *counters: str) -> None:
        for row in session.execute(query):
            _add(groups[(row.channel, row.campaign)], dict(zip(counters, row[2:])))

    lead_group = (leads.channel.label("channel"), leads.campaign.label("campaign"))
    take(
        select(*lead_group, func.count(), func.count(leads.converted_at))
        .where(_in_period(leads.created_at, period), owned_by_scope(scope, leads.owner_id))
        .group_by(leads.channel, leads.campaign),
        "leads_acquired", "acquired_converted",
    )
    take(
        select(*lead_group, func.count())
        .where(_in_period(leads.claimed_at, period), owned_by_scope(scope, leads.owner_id))
        .group_by(leads.channel, leads.campaign),
        "leads_claimed",
    )
    take(
        select(*lead_group, func.count())
        .where(_in_period(leads.converted_at, period), owned_by_scope(scope, leads.owner_id))
        .group_by(leads.channel, leads.campaign),
        "leads_converted",
    )
    # A customer, and the deals and tickets of a customer, are credited to the channel and campaign it came from.
    channel = func.coalesce(customers.channel, leads.channel)
    attributed = (channel.label("channel"), leads.campaign.label("campaign"))
    from_customer = fact_customers.outerjoin(fact_leads, leads.lead_id == customers.lead_id)
    take(
        select(*attributed, func.count())
        .select_from(from_customer)
        .where(_in_period(customers.created_at, period), owned_by_scope(scope, customers.owner_id))
        .group_by(channel, leads.campaign),
        "customers_created",
    )
    deal_source = fact_opportunities.outerjoin(fact_customers, customers.customer_id == deals.customer_id).outerjoin(
        fact_leads, leads.lead_id == func.coalesce(deals.lead_id, customers.lead_id))
    take(
        select(*attributed, func.count())
        .select_from(deal_source)
        .where(_in_period(deals.opened_at, period), owned_by_scope(scope, deals.owner_id))
        .group_by(channel, leads.campaign),
        "opportunities_opened",
    )
    take(
        select(*attributed, func.count(), _money_sum(deals.amount))
        .select_from(deal_source)
        .where(deals.status == "won", _in_period(deals.closed_at, period), owned_by_scope(scope, deals.owner_id))
        .group_by(channel, leads.campaign),
        "deals_won", "won_amount",
    )
    # Counted per customer first: each customer's channel is then looked up once, not once per ticket.
    opened = (
        select(tickets.customer_id, func.count().label("tickets"))
        .where(_in_period(tickets.opened_at, period), owned_by_scope(scope, tickets.owner_id, tickets=True))
        .group_by(tickets.customer_id)
        .subquery()
    )
    take(
        select(*attributed, cast(func.sum(opened.c.tickets), Integer))
        .select_from(opened.outerjoin(fact_customers, customers.customer_id == opened.c.customer_id)
                     .outerjoin(fact_leads, leads.lead_id == customers.lead_id))
        .group_by(channel, leads.campaign),
        "tickets_opened",
    )
    return groups


def _acquisition_figures(groups: dict[tuple, dict]) -> dict[str, Any]:
    """Campaigns as gathered, added up into channels and totals, each with its conversion rate."""

    def finished(counters: dict, **key) -> dict:
        converted = counters.pop("acquired_converted")
        return {**key, **counters, "conversion_rate": rate(converted, counters["leads_acquired"])}

    channels: dict = defaultdict(_empty_acquisition_sums)
    totals = _empty_acquisition_sums()
    campaigns = []
    for (channel_name, campaign), counters in sorted(groups.items(), key=lambda item: _nulls_last(item[0])):
        counters = {**_empty_acquisition_sums(), **counters}
        _add(channels[channel_name], counters)
        _add(totals, counters)
        campaigns.append(finished(counters, channel=channel_name, campaign=campaign))
    return {
        "channels": [finished(counters, channel=name)
                     for name, counters in sorted(channels.items(), key=lambda item: _nulls_last((item[0],)))],
        "campaigns": campaigns,
        "totals": finished(totals),
    }


def _nulls_last(values: Iterable) -> tuple:
    return tuple((value is None, value or "") for value in values)


# ---------------------------------------------------------------- sales

SALES_FIGURES = (
    "follow_ups", "pipeline_count", "pipeline_amount", "won_count", "won_amount", "planned_amount",
    "paid_on_planned", "collected_amount", "overdue_count", "overdue_amount", "invoiced_amount", "refunded_amount",
)
_COUNTS = {"follow_ups", "pipeline_count", "won_count", "overdue_count"}


def _empty_sales_figures() -> dict:
    return {name: (0 if name in _COUNTS else ZERO) for name in SALES_FIGURES} | {"pipeline": {}}


def sales(session: Session, scope: Scope, period: Period, today: date, *, source: str | None = None) -> dict[str, Any]:
    """Per rep, per team and in total: activity, open pipeline, won deals, payments, overdue, invoices, refunds."""
    if reads_rollups(session, period, source):
        figures, pipeline = dashboard_rollups.sales_sums(session, scope, period, today)
    else:
        figures, pipeline = _sales_sums(session, scope, period, today)
    reps: dict[str | None, dict] = defaultdict(_empty_sales_figures)
    for owner_id, sums in figures:
        _add(reps[owner_id], sums)
    for owner_id, stage, count, amount in pipeline:
        _add(reps[owner_id], {"pipeline_count": count, "pipeline_amount": amount})
        _add(reps[owner_id]["pipeline"].setdefault(stage, {"count": 0, "amount": ZERO}),
             {"count": count, "amount": amount})
    # Records that add nothing (an installment closed before anything was paid on it) put no rep on the
    # dashboard: the roll-ups, which keep sums only, could not tell such a rep from one with no records.
    reps = {owner: figures for owner, figures in reps.items() if any(figures[name] for name in SALES_FIGURES)}

    names = _display_names(session, [owner for owner in reps if owner])
    rep_rows = [
        {"owner_id": owner, "display_name": names.get(owner), **figures}
        for owner, figures in sorted(reps.items(), key=lambda item: _nulls_last((names.get(item[0]), item[0])))
    ]
    team_rows = _team_rows(session, scope, reps)
    totals = _empty_sales_figures()
    for figures in reps.values():
        _sum_sales(totals, figures)
    return {
        "reps": [_sales_row(row) for row in rep_rows],
        "teams": [_sales_row(row) for row in team_rows],
        "totals": _sales_row(totals),
    }


def _sales_sums(session: Session, scope: Scope, period: Period, today: date) -> tuple[list, list]:
    """The facts' ([(owner_id, {figure: sum})], [(owner_id, stage, open count, open amount)]) in scope."""
    follow_ups, deals, plan, payments, invoices, refunds = (
        fact_follow_ups.c, fact_opportunities.c, fact_installments.c, fact_payments.c, fact_invoices.c,
        fact_refunds.c)
    owner_of_customer = _customer_owner()
    figures: list[tuple] = []

    def take(query, *names: str) -> None:
        figures.extend((row[0], dict(zip(names, row[1:]))) for row in session.execute(query))

    take(select(follow_ups.owner_id, func.count())
         .where(_in_period(follow_ups.at, period), owned_by_scope(scope, follow_ups.owner_id))
         .group_by(follow_ups.owner_id), "follow_ups")
    pipeline = session.execute(
        select(deals.owner_id, deals.stage, func.count(), _money_sum(deals.amount))
        .where(deals.status == "open", owned_by_scope(scope, deals.owner_id))
        .group_by(deals.owner_id, deals.stage)
    ).all()
    take(select(deals.owner_id, func.count(), _money_sum(deals.amount))
         .where(deals.status == "won", _in_period(deals.closed_at, period), owned_by_scope(scope, deals.owner_id))
         .group_by(deals.owner_id), "won_count", "won_amount")

    # An installment closed by a revision was due only for what had been paid on it; the rest was planned again.
    planned = case((plan.status == "closed", _number(plan.paid_amount)), else_=_number(plan.planned_amount))
    paid = case((_number(plan.paid_amount) < planned, _number(plan.paid_amount)), else_=planned)
    of_customer = fact_installments.outerjoin(fact_customers, fact_customers.c.customer_id == plan.customer_id)
    take(select(owner_of_customer, _money_sum(planned), _money_sum(paid))
         .select_from(of_customer)
         .where(_on_days(plan.planned_date, period), plan.status != "voided", owned_by_scope(scope, owner_of_customer))
         .group_by(owner_of_customer), "planned_amount", "paid_on_planned")
    outstanding = _number(plan.planned_amount) - _number(plan.paid_amount)
    take(select(owner_of_customer, func.count(), _money_sum(outstanding))
         .select_from(of_customer)
         .where(plan.planned_date < today, plan.status == "planned", outstanding > 0,
                owned_by_scope(scope, owner_of_customer))
         .group_by(owner_of_customer), "overdue_count", "overdue_amount")
    take(select(owner_of_customer, _money_sum(payments.amount))
         .select_from(fact_payments.outerjoin(fact_customers, fact_customers.c.customer_id == payments.customer_id))
         .where(_on_days(payments.received_on, period), owned_by_scope(scope, owner_of_customer))
         .group_by(owner_of_customer), "collected_amount")
    take(select(owner_of_customer, _money_sum(invoices.amount))
         .select_from(fact_invoices.outerjoin(fact_customers, fact_customers.c.customer_id == invoices.customer_id))
         .where(_on_days(invoices.issued_on, period), invoices.status == "issued",
                owned_by_scope(scope, owner_of_customer))
         .group_by(owner_of_customer), "invoiced_amount")
    take(select(owner_of_customer, _money_sum(refunds.amount))
         .select_from(fact_refunds.outerjoin(fact_customers, fact_customers.c.customer_id == refunds.customer_id))
         .where(refunds.status == "completed", _in_period(refunds.completed_at, period),
                owned_by_scope(scope, owner_of_customer))
         .group_by(owner_of_customer), "refunded_amount")
    return figures, pipeline


def _sum_sales(target: dict, figures: dict) -> None:
    _add(target, {name: figures[name] for name in SALES_FIGURES})
    for stage, values in figures["pipeline"].items():
        _add(target["pipeline"].setdefault(stage, {"count": 0, "amount": ZERO}), values)


def _sales_row(row: dict) -> dict:
    row = dict(row)
    paid = row.pop("paid_on_planned")
    row["collection_rate"] = rate(paid, row["planned_amount"])
    row["pipeline"] = [{"stage": stage, **values}
                       for stage, values in sorted(row["pipeline"].items(), key=lambda item: _nulls_last((item[0],)))]
    return row


def _display_names(session: Session, user_ids: list[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    users = directory.users.c
    rows = session.execute(select(users.user_id, users.display_name).where(users.user_id.in_(sorted(set(user_ids)))))
    return dict(rows.all())


def _team_rows(session: Session, scope: Scope, reps: dict) -> list[dict]:
    """The reps' figures added up per team: the viewer's teams (team scope) or every team (all scope)."""
    if scope.level not in (TEAM, ALL):
        return []
    members = directory.user_teams.c
    query = select(members.team_id, members.user_id)
    if scope.level == TEAM:
        query = query.where(members.team_id.in_(sorted(scope.team_ids)))
        teams = {team_id: _empty_sales_figures() for team_id in scope.team_ids}
    else:
        query = query.where(members.user_id.in_(sorted(owner for owner in reps if owner)))
        teams = {}
    for team_id, user_id in session.execute(query):
        team = teams.setdefault(team_id, _empty_sales_figures())
        if user_id in reps:
            _sum_sales(team, reps[user_id])
    names = _team_names(session, list(teams))
    return [
        {"team_id": team_id, "name": names.get(team_id), **figures}
        for team_id, figures in sorted(teams.items(), key=lambda item: _nulls_last((names.get(item[0]), item[0])))
    ]


def _team_names(session: Session, team_ids: list[str]) -> dict[str, str]:
    if not team_ids:
        return {}
    teams = directory_team_names.c
    return dict(session.execute(select(teams.team_id, teams.name).where(teams.team_id.in_(sorted(set(team_ids))))).all())


# ---------------------------------------------------------------- service

def service(session: Session, scope: Scope, period: Period, *, source: str | None = None) -> dict[str, Any]:
    """Ticket volume, response and resolution times, SLA compliance and satisfaction, by channel and priority."""
    if reads_rollups(session, period, source):
        groups = dashboard_rollups.service_sums(session, scope, period)
    else:
        groups = _service_sums(session, scope, period)
    by_channel: dict = defaultdict(dict)
    by_priority: dict = defaultdict(dict)
    totals: dict = {}
    # In key order: seconds are floats, and floats added in another order may differ in the last bit.
    for (channel, priority), sums in sorted(groups.items(), key=lambda item: _nulls_last(item[0])):
        _add(by_channel[channel], sums)
        _add(by_priority[priority], sums)
        _add(totals, sums)
    return {
        "by_channel": [{"channel": key, **_service_figures(sums)}
                       for key, sums in sorted(by_channel.items(), key=lambda item: _nulls_last((item[0],)))],
        "by_priority": [{"priority": key, **_service_figures(sums)}
                        for key, sums in sorted(by_priority.items(), key=lambda item: _nulls_last((item[0],)))],
        "totals": _service_figures(totals),
    }


def resolution_moment(tickets) -> ColumnElement:
    """When a ticket was resolved: its last resolution, or its closing if it was closed unresolved.

    Both columns only ever keep their latest moment, so the answer does not depend on the order the
    ticket's events arrived in (closed, reopened, resolved reads the same either way round).
    """
    return func.coalesce(tickets.resolved_at, tickets.closed_at)


def _service_sums(session: Session, scope: Scope, period: Period) -> dict[tuple, dict]:
    """{(channel, priority): sums} of the tickets opened or resolved in the period, or open now, in scope."""
    tickets = fact_tickets.c
    in_scope = owned_by_scope(scope, tickets.owner_id, tickets=True)
    groups: dict[tuple, dict] = defaultdict(dict)
    responded = tickets.first_response_at >= tickets.opened_at
    resolved_at = resolution_moment(tickets)
    resolved = resolved_at >= tickets.opened_at
    cohort = (
        select(
            tickets.channel, tickets.priority, func.count(), _count_where(responded),
            _seconds_sum(tickets.opened_at, tickets.first_response_at, responded), _count_where(resolved),
            _seconds_sum(tickets.opened_at, resolved_at, resolved), _count_where(tickets.sla_breaches == 0),
            func.count(tickets.rating), func.coalesce(func.sum(tickets.rating), 0),
        )
        .where(_in_period(tickets.opened_at, period), in_scope)
        .group_by(tickets.channel, tickets.priority)
    )
    names = ("opened", "responded", "response_seconds", "resolved_of_opened", "resolution_seconds", "within_sla",
             "rated", "rating_sum")
    for row in session.execute(cohort):
        _add(groups[(row[0], row[1])], {name: value or 0 for name, value in zip(names, row[2:])})
    for channel, priority, count in session.execute(
        select(tickets.channel, tickets.priority, func.count())
        .where(_in_period(resolved_at, period), in_scope)
        .group_by(tickets.channel, tickets.priority)
    ):
        _add(groups[(channel, priority)], {"resolved": count})
    for channel, priority, count in session.execute(
        select(tickets.channel, tickets.priority, func.count())
        .where(tickets.status.not_in(("resolved", "closed")), in_scope)
        .group_by(tickets.channel, tickets.priority)
    ):
        _add(groups[(channel, priority)], {"open_now": count})
    return groups


def _service_figures(sums: dict) -> dict:
    opened = sums.get("opened", 0)
    rated = sums.get("rated", 0)
    return {
        "opened": opened,
        "resolved": sums.get("resolved", 0),
        "open_now": sums.get("open_now", 0),
        "avg_first_response_minutes": _average(sums.get("response_seconds"), sums.get("responded", 0), 60),
        "avg_resolution_minutes": _average(sums.get("resolution_seconds"), sums.get("resolved_of_opened", 0), 60),
        "sla_compliance": rate(sums.get("within_sla", 0), opened),
        "avg_rating": _rounded(Decimal(sums["rating_sum"]) / rated, 2) if rated else None,
        "rated": rated,
    }


# ---------------------------------------------------------------- pool

# The kinds of entry a lead comes back to a pool by, whose reasons the dashboard lists.
RETURN_KINDS = ("returned", "recycled")


def pool(session: Session, scope: Scope, period: Period, *, source: str | None = None) -> dict[str, Any]:
    """Entries to and exits from each pool by kind, why leads came back, and how soon a claimed lead is followed up."""
    if reads_rollups(session, period, source):
        moves, reasons, (count, seconds) = dashboard_rollups.pool_sums(session, scope, period, RETURN_KINDS)
    else:
        moves, reasons, (count, seconds) = _pool_sums(session, scope, period)
    pools: dict = {}
    for pool_id, direction, kind, moved in moves:
        row = pools.setdefault(pool_id, {"pool_id": pool_id, "entries": 0, "exits": 0, "kinds": []})
        row["entries" if direction == "in" else "exits"] += moved
        row["kinds"].append({"direction": direction, "kind": kind, "count": moved})
    for row in pools.values():
        row["kinds"].sort(key=lambda item: (item["direction"], item["kind"]))
    reasons = [{"kind": kind, "reason": reason, "count": moved} for kind, reason, moved in reasons]
    reasons.sort(key=lambda item: (-item["count"], item["kind"], item["reason"] is None, item["reason"] or ""))
    ordered = sorted(pools.values(), key=lambda row: _nulls_last((row["pool_id"],)))
    return {
        "pools": ordered,
        "totals": {"entries": sum(row["entries"] for row in ordered), "exits": sum(row["exits"] for row in ordered)},
        "reasons": reasons,
        "claim_to_first_follow_up": {"leads": count, "average_hours": _average(seconds, count, 3600)},
    }


def _pool_sums(session: Session, scope: Scope, period: Period) -> tuple[list, list, tuple]:
    """The facts' ([(pool, direction, kind, moves)], [(kind, reason, returns)], (claims followed up, seconds))."""
    moves, leads = fact_pool_moves.c, fact_leads.c
    in_period = and_(_in_period(moves.at, period), owned_by_scope(scope, moves.owner_id))
    moved = session.execute(
        select(moves.pool_id, moves.direction, moves.kind, func.count())
        .where(in_period).group_by(moves.pool_id, moves.direction, moves.kind)
    ).all()
    reasons = session.execute(
        select(moves.kind, moves.reason, func.count())
        .where(in_period, moves.direction == "in", moves.kind.in_(RETURN_KINDS))
        .group_by(moves.kind, moves.reason)
    ).all()
    followed = leads.first_follow_up_at >= leads.claimed_at
    waited = type_coerce(func.sum(_SecondsBetween(leads.claimed_at, leads.first_follow_up_at)), _Seconds())
    claims = session.execute(
        select(func.count(), waited)
        .where(_in_period(leads.claimed_at, period), followed, owned_by_scope(scope, leads.owner_id))
    ).one()
    return moved, reasons, tuple(claims)


# ---------------------------------------------------------------- executive

WON_AMOUNT = "won_amount"
PAYMENTS = "payments"
NEW_CUSTOMERS = "new_customers"
# Sales calls the payments metric "payments_collected"; both spellings mean the same figure.
TARGET_METRICS = {WON_AMOUNT: WON_AMOUNT, PAYMENTS: PAYMENTS, "payments_collected": PAYMENTS,
                  NEW_CUSTOMERS: NEW_CUSTOMERS}
DEPARTMENT_NOTE = "Reporting does not know which teams a department has, so its actual figures are left out."


def executive(session: Session, scope: Scope, period: Period, *, source: str | None = None) -> dict[str, Any]:
    """Revenue, payments collected and sales expenses against the previous period, and achievement of targets."""
    if reads_rollups(session, period, source):
        revenue, collected, spent = dashboard_rollups.executive_sums(session, scope, period)
        actuals_by_owner = dashboard_rollups.actuals_by_owner
    else:
        revenue, collected, spent = _executive_sums(session, scope, period)
        actuals_by_owner = partial(_actuals_by_owner, zone=period.zone)
    ratios = [rate(spent[index], revenue[index]) for index in (0, 1)]
    return {
        "revenue": _comparison(*revenue),
        "payments_collected": _comparison(*collected),
        "sales_expenses": _comparison(*spent),
        "expense_to_revenue": _ratio_comparison(*ratios),
        "targets": _achievement(session, scope, period, actuals_by_owner),
    }


def _executive_sums(session: Session, scope: Scope, period: Period) -> tuple[tuple, tuple, tuple]:
    """The facts' revenue, payments collected and sales expenses, each (this period, the previous one), in scope."""
    contracts, payments, expenses = fact_contracts.c, fact_payments.c, fact_expenses.c
    previous = period.previous
    owner_of_customer = _customer_owner()

    def both_periods(amount, current, earlier, source, *conditions):
        query = select(_money_sum(amount, current), _money_sum(amount, earlier)).select_from(source).where(*conditions)
        return tuple(session.execute(query).one())

    revenue = both_periods(
        contracts.amount, _in_period(contracts.signed_at, period), _in_period(contracts.signed_at, previous),
        fact_contracts, contracts.signed_at >= previous.start, contracts.signed_at < period.end,
        contracts.status != "voided", owned_by_scope(scope, contracts.owner_id))
    collected = both_periods(
        payments.amount, _on_days(payments.received_on, period), _on_days(payments.received_on, previous),
        fact_payments.outerjoin(fact_customers, fact_customers.c.customer_id == payments.customer_id),
        payments.received_on >= previous.first, payments.received_on <= period.last,
        owned_by_scope(scope, owner_of_customer))
    spent = both_periods(
        expenses.amount, _on_days(expenses.spent_on, period), _on_days(expenses.spent_on, previous),
        fact_expenses, expenses.spent_on >= previous.first, expenses.spent_on <= period.last,
        expenses.status == "approved", owned_by_scope(scope, expenses.owner_id))
    return revenue, collected, spent


def _comparison(current: Decimal, previous: Decimal) -> dict:
    change = current - previous
    return {"value": current, "previous": previous, "change": change, "change_percent": _percent(change, previous)}


def _ratio_comparison(current: float | None, previous: float | None) -> dict:
    if current is None or previous is None:
        return {"value": current, "previous": previous, "change": None, "change_percent": None}
    change = _rounded(Decimal(repr(current)) - Decimal(repr(previous)), 4)
    return {"value": current, "previous": previous, "change": change, "change_percent": _percent(change, previous)}


def _percent(change, previous) -> float | None:
    if not previous:
        return None
    return _rounded(Decimal(str(change)) / Decimal(str(previous)) * 100, 2)


# (metric, first day, day after the last): the days a target covers, as sales sets them, and what it counts.
TargetKey = tuple[str, date, date]
ActualsByOwner = Callable[[Session, dict[TargetKey, list[str]]], dict[TargetKey, dict[str, Any]]]


def _achievement(session: Session, scope: Scope, period: Period, actuals_by_owner: ActualsByOwner) -> dict[str, list]:
    """Targets whose period overlaps `period`, each with what was reached over the target's own period."""
    targets = fact_targets.c
    visible = [
        and_(targets.subject_kind == "rep", owned_by_scope(scope, targets.subject_id)),
    ]
    if scope.level == ALL:
        visible.append(targets.subject_kind.in_(("team", "department")))
    elif scope.level == TEAM:
        visible.append(and_(targets.subject_kind == "team", targets.subject_id.in_(sorted(scope.team_ids))))
    rows = session.execute(
        select(targets.target_id, targets.subject_kind, targets.subject_id, targets.metric, targets.period,
               targets.period_start, targets.period_end, targets.value).where(
            targets.period_start <= period.last, targets.period_end > period.first,
            targets.metric.in_(sorted(TARGET_METRICS)), or_(*visible))
    ).mappings().all()

    team_ids = sorted({row["subject_id"] for row in rows if row["subject_kind"] == "team"})
    members: dict[str, set[str]] = defaultdict(set)
    if team_ids:
        for team_id, user_id in session.execute(
            select(directory.user_teams.c.team_id, directory.user_teams.c.user_id)
            .where(directory.user_teams.c.team_id.in_(team_ids))
        ):
            members[team_id].add(user_id)
    people: dict[tuple, set[str]] = defaultdict(set)
    for row in rows:
        key = (TARGET_METRICS[row["metric"]], row["period_start"], row["period_end"])
        if row["subject_kind"] == "rep":
            people[key].add(row["subject_id"])
        elif row["subject_kind"] == "team":
            people[key] |= members[row["subject_id"]]
    actuals = actuals_by_owner(session, {key: sorted(owners) for key, owners in people.items() if owners})

    rep_names = _display_names(session, [row["subject_id"] for row in rows if row["subject_kind"] == "rep"])
    team_names = _team_names(session, team_ids)
    result: dict[str, list] = {"reps": [], "teams": [], "departments": []}
    for row in rows:
        kind, subject = row["subject_kind"], row["subject_id"]
        metric = TARGET_METRICS[row["metric"]]
        figures = actuals.get((metric, row["period_start"], row["period_end"]), {})
        note = None
        if kind == "rep":
            actual, name = figures.get(subject, 0), rep_names.get(subject)
        elif kind == "team":
            actual, name = sum((figures.get(user, 0) for user in members[subject]), 0), team_names.get(subject)
        else:
            actual, name, note = None, None, DEPARTMENT_NOTE
        value = row["value"]
        result[{"rep": "reps", "team": "teams"}.get(kind, "departments")].append({
            "target_id": row["target_id"], "subject_id": subject, "name": name, "metric": row["metric"],
            "period": row["period"], "period_start": row["period_start"], "period_end": row["period_end"],
            "target": _figure(value, metric), "actual": _figure(actual, metric),
            "achievement": rate(actual, value) if actual is not None and value else None, "note": note,
        })
    for rows_of_kind in result.values():
        rows_of_kind.sort(
            key=lambda item: (item["period_start"], item["metric"], item["name"] or "", item["subject_id"]))
    return result


def _figure(value, metric: str) -> str | None:
    if value is None:
        return None
    if metric == NEW_CUSTOMERS:
        return str(int(value))
    return str(Decimal(value).quantize(CENT))


def _actuals_by_owner(
    session: Session, wanted: dict[TargetKey, list[str]], *, zone: ZoneInfo,
) -> dict[TargetKey, dict[str, Any]]:
    """The facts' {owner_id: figure} of each (metric, first, end) in `wanted`, for the owners listed with it."""
    return {(metric, first, end_day): _actuals_of(session, metric, first, end_day, owner_ids, zone)
            for (metric, first, end_day), owner_ids in wanted.items()}


def _actuals_of(
    session: Session, metric: str, first: date, end_day: date, owner_ids: list[str], zone: ZoneInfo,
) -> dict[str, Any]:
    # From day `first` to `end_day` (excluded), days of `zone`.
    start, end = midnight(first, zone), midnight(end_day, zone)
    if metric == WON_AMOUNT:
        deals = fact_opportunities.c
        query = (select(deals.owner_id, _money_sum(deals.amount))
                 .where(deals.status == "won", deals.closed_at >= start, deals.closed_at < end,
                        deals.owner_id.in_(owner_ids))
                 .group_by(deals.owner_id))
    elif metric == PAYMENTS:
        payments, owner = fact_payments.c, fact_customers.c.owner_id
        query = (select(owner, _money_sum(payments.amount))
                 .select_from(fact_payments.join(fact_customers, fact_customers.c.customer_id == payments.customer_id))
                 .where(payments.received_on >= first, payments.received_on < end_day, owner.in_(owner_ids))
                 .group_by(owner))
    else:
        customers = fact_customers.c
        query = (select(customers.owner_id, func.count())
                 .where(customers.created_at >= start, customers.created_at < end, customers.owner_id.in_(owner_ids))
                 .group_by(customers.owner_id))
    return dict(session.execute(query).all())
