"""The managers' views: what each rep in the viewer's scope has in progress, every figure an SQL aggregate.

Per rep: open pipeline by stage (count, amount, weighted by the stage's win probability), deals won in the
period, stale deals (no stage move for N days), customers with no activity for N days (no follow-up, no stage
move of their deals, not created since), overdue installments, contracts awaiting approval, the sales ledger
(contracts' amount, paid, invoiced, refunded, outstanding) and the rep's targets reached.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from crm_shared.auth import SALES_MANAGER, SALES_REP, Identity
from crm_shared.directory import members_of_teams
from sales.achievement import start_of_day
from sales.contracts import ACTIVE, EXPIRED, PENDING_APPROVAL, SIGNED
from sales.db import customers, opportunities
from sales.db_customers_pipeline import directory, opportunity_stage_changes, pipeline_stages
from sales.db_money import installments, invoices, payments
from sales.db_orders_contracts import contracts
from sales.db_timeline import follow_ups
from sales.invoices import INVOICE, ISSUED
from sales.opportunities import OPEN, WON
from sales.payments import OPEN as OPEN_INSTALLMENT
from sales.payments import RECEIVED
from sales.sql_money import cents_total, from_cents, weighted_cents_total
from sales.db_targets import sales_targets
from sales.target_service import reached
from sales.targets import REP, Period
from sales.team_scope import TeamScope

# Contracts whose money is owed: signed and in force, or run out with money still due.
OWING = (SIGNED, ACTIVE, EXPIRED)
SELLER_ROLES = {SALES_REP, SALES_MANAGER}


@dataclass(frozen=True)
class ViewQuery:
    period: Period
    stale_days: int
    idle_days: int
    now: datetime
    team_id: str | None = None

    @property
    def today(self) -> date:
        return self.now.date()


def reps_in_scope(session: Session, scope: TeamScope, team_id: str | None) -> list[dict]:
    """The active sellers whose figures the viewer sees (of one team if asked), by name, with their teams."""
    users, teams = directory.users.c, directory.user_teams.c
    query = select(users.user_id, users.display_name, users.roles).where(users.active.is_(True))
    condition = scope.people(users.user_id)
    if condition is not None:
        query = query.where(condition)
    if team_id:
        query = query.where(users.user_id.in_(members_of_teams(directory, [team_id])))
    people = [{"rep_id": user_id, "display_name": name, "team_ids": []}
              for user_id, name, roles in session.execute(query.order_by(users.display_name, users.user_id))
              if SELLER_ROLES.intersection(roles or [])]
    by_id = {p["rep_id"]: p for p in people}
    if by_id:
        for user_id, team in session.execute(select(teams.user_id, teams.team_id)
                                             .where(teams.user_id.in_(sorted(by_id))).order_by(teams.team_id)):
            by_id[user_id]["team_ids"].append(team)
    return people


def _money_rows(rows, *fields: str) -> dict[str, list[dict]]:
    """(owner, currency, count, cents...) rows as {owner: [{currency, count, <field>: money...}]}."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for owner, currency, count, *cents in rows:
        grouped[owner].append({"currency": currency, "count": count,
                               **{name: from_cents(value) for name, value in zip(fields, cents)}})
    return grouped


def open_pipeline(session: Session, rep_ids: list[str]) -> dict[str, list[dict]]:
    o, s = opportunities.c, pipeline_stages.c
    probability = func.coalesce(s.win_probability, 0)
    rows = session.execute(
        select(o.owner_id, o.stage, o.currency, func.count(), cents_total(o.amount),
               weighted_cents_total(o.amount, probability), func.min(s.position))
        .select_from(opportunities.outerjoin(pipeline_stages, s.key == o.stage))
        .where(o.status == OPEN, o.owner_id.in_(rep_ids))
        .group_by(o.owner_id, o.stage, o.currency))
    grouped: dict[str, list[dict]] = defaultdict(list)
    for owner, stage, currency, count, amount, weighted, position in rows:
        grouped[owner].append({"stage": stage, "position": position, "currency": currency, "count": count,
                               "amount": from_cents(amount), "weighted": from_cents(weighted)})
    for stages in grouped.values():
        stages.sort(key=lambda row: (row["position"] is None, row["position"] or 0, row["stage"], row["currency"]))
    return grouped


def by_currency(stages: list[dict]) -> list[dict]:
    """A rep's open pipeline over all stages: the per-stage SQL sums added up per currency (a few rows)."""
    totals: dict[str, dict] = {}
    for row in stages:
        total = totals.setdefault(row["currency"], {"currency": row["currency"], "count": 0,
                                                    "amount": Decimal("0.00"), "weighted": Decimal("0.00")})
        total["count"] += row["count"]
        total["amount"] += row["amount"]
        total["weighted"] += row["weighted"]
    return [totals[currency] for currency in sorted(totals)]


def won(session: Session, rep_ids: list[str], period: Period) -> dict[str, list[dict]]:
    o = opportunities.c
    return _money_rows(session.execute(
        select(o.owner_id, o.currency, func.count(), cents_total(o.amount))
        .where(o.status == WON, o.owner_id.in_(rep_ids), o.closed_at >= start_of_day(period.start),
               o.closed_at < start_of_day(period.end))
        .group_by(o.owner_id, o.currency)), "amount")


def last_moves():
    """When each opportunity last changed stage (its opening counts as a move)."""
    h = opportunity_stage_changes.c
    return select(h.opportunity_id, func.max(h.at).label("moved_at")).group_by(h.opportunity_id).subquery()


def stale(session: Session, rep_ids: list[str], since: datetime) -> dict[str, list[dict]]:
    o, moved = opportunities.c, last_moves()
    return _money_rows(session.execute(
        select(o.owner_id, o.currency, func.count(), cents_total(o.amount))
        .select_from(opportunities.outerjoin(moved, moved.c.opportunity_id == o.id))
        .where(o.status == OPEN, o.owner_id.in_(rep_ids), func.coalesce(moved.c.moved_at, o.created_at) < since)
        .group_by(o.owner_id, o.currency)), "amount")


def idle_customer_condition(since: datetime):
    """A WHERE condition on `customers`: created before `since`, and no follow-up or deal move since."""
    k, f, h, o = customers.c, follow_ups.c, opportunity_stage_changes.c, opportunities.c
    followed_up = exists(select(f.id).where(f.customer_id == k.id, f.recorded_at >= since))
    moves = opportunity_stage_changes.join(opportunities, o.id == h.opportunity_id)
    deal_moved = exists(select(h.id).select_from(moves).where(o.customer_id == k.id, h.at >= since))
    return and_(k.created_at < since, ~followed_up, ~deal_moved)


def idle_customers(session: Session, rep_ids: list[str], since: datetime) -> dict[str, int]:
    k = customers.c
    rows = session.execute(select(k.owner_id, func.count()).where(k.owner_id.in_(rep_ids),
                                                                    idle_customer_condition(since))
                           .group_by(k.owner_id))
    return {owner: count for owner, count in rows}


def overdue_installments(session: Session, rep_ids: list[str], today: date) -> dict[str, list[dict]]:
    i, c = installments.c, contracts.c
    return _money_rows(session.execute(
        select(c.owner_id, i.currency, func.count(), cents_total(i.planned_amount), cents_total(i.paid_amount))
        .select_from(installments.join(contracts, c.id == i.contract_id))
        .where(i.status.in_(OPEN_INSTALLMENT), i.planned_date < today, c.owner_id.in_(rep_ids))
        .group_by(c.owner_id, i.currency)), "planned", "paid")


def awaiting_approval(session: Session, rep_ids: list[str]) -> dict[str, list[dict]]:
    c = contracts.c
    return _money_rows(session.execute(
        select(c.owner_id, c.currency, func.count(), cents_total(c.amount))
        .where(c.status == PENDING_APPROVAL, c.owner_id.in_(rep_ids)).group_by(c.owner_id, c.currency)), "amount")


def ledger(session: Session, rep_ids: list[str]) -> dict[str, list[dict]]:
    """Per rep and currency: contracts owed (amount), paid, refunded, invoiced, and what is still outstanding."""
    c, p, v = contracts.c, payments.c, invoices.c
    book: dict[tuple[str, str], dict] = defaultdict(dict)
    for owner, currency, count, amount in session.execute(
            select(c.owner_id, c.currency, func.count(), cents_total(c.amount))
            .where(c.status.in_(OWING), c.owner_id.in_(rep_ids)).group_by(c.owner_id, c.currency)):
        book[(owner, currency)].update(contracts=count, contract_amount=amount)
    owing = c.status.in_(OWING)
    for owner, currency, paid, refunded, received_on_owing in session.execute(
            select(c.owner_id, p.currency,
                   cents_total(case((p.refund_id.is_(None), p.amount))),
                   cents_total(case((p.refund_id.is_not(None), p.amount))),
                   cents_total(case((owing, p.amount))))
            .select_from(payments.join(contracts, c.id == p.contract_id))
            .where(p.status == RECEIVED, c.owner_id.in_(rep_ids)).group_by(c.owner_id, p.currency)):
        book[(owner, currency)].update(paid=paid, refunded=-refunded, received_on_owing=received_on_owing)
    for owner, currency, invoiced in session.execute(
            select(c.owner_id, v.currency, cents_total(v.amount))
            .select_from(invoices.join(contracts, c.id == v.contract_id))
            .where(v.kind == INVOICE, v.status == ISSUED, c.owner_id.in_(rep_ids)).group_by(c.owner_id, v.currency)):
        book[(owner, currency)].update(invoiced=invoiced)
    grouped: dict[str, list[dict]] = defaultdict(list)
    for (owner, currency), figures in sorted(book.items()):
        amount = figures.get("contract_amount", 0)
        grouped[owner].append({
            "currency": currency, "contracts": figures.get("contracts", 0),
            "contract_amount": from_cents(amount), "paid": from_cents(figures.get("paid")),
            "invoiced": from_cents(figures.get("invoiced")), "refunded": from_cents(figures.get("refunded")),
            "outstanding": from_cents(amount) - from_cents(figures.get("received_on_owing")),
        })
    return grouped


def rep_rows(uow, scope: TeamScope, query: ViewQuery) -> list[dict]:
    """One row per rep in scope with every figure of the view; a handful of grouped queries in all."""
    session = uow.session
    reps = reps_in_scope(session, scope, query.team_id)
    ids = [r["rep_id"] for r in reps]
    if not ids:
        return []
    stale_since = query.now - timedelta(days=query.stale_days)
    idle_since = query.now - timedelta(days=query.idle_days)
    pipeline, won_rows = open_pipeline(session, ids), won(session, ids, query.period)
    stale_rows, idle = stale(session, ids, stale_since), idle_customers(session, ids, idle_since)
    overdue, waiting, book = overdue_installments(session, ids, query.today), awaiting_approval(session, ids), \
        ledger(session, ids)
    targets = uow.targets.list(sales_targets.c.subject_id.in_(ids), period=query.period.key, subject_kind=REP)
    achieved: dict[str, list[dict]] = defaultdict(list)
    for row in reached(uow, targets, query.period):
        achieved[row["target"].subject_id].append(row)
    for rep in reps:
        rep_id = rep["rep_id"]
        rep.update(
            open_pipeline=pipeline.get(rep_id, []), open_totals=by_currency(pipeline.get(rep_id, [])),
            won=won_rows.get(rep_id, []), stale=stale_rows.get(rep_id, []),
            idle_customers=idle.get(rep_id, 0),
            overdue_installments=[{**row, "due": row["planned"] - row["paid"]} for row in overdue.get(rep_id, [])],
            awaiting_approval=waiting.get(rep_id, []), ledger=book.get(rep_id, []),
            achievement=achieved.get(rep_id, []),
        )
    return reps


def stale_opportunities(session: Session, scope: TeamScope, rep_id: str | None, since: datetime,
                        limit: int = 200) -> list[dict]:
    """The open deals of reps in scope with no stage move since `since`, the longest untouched first."""
    o, moved = opportunities.c, last_moves()
    last = func.coalesce(moved.c.moved_at, o.created_at)
    query = (select(o.id, o.name, o.customer_id, o.owner_id, o.stage, o.amount, o.currency, last.label("moved_at"))
             .select_from(opportunities.outerjoin(moved, moved.c.opportunity_id == o.id))
             .where(o.status == OPEN, last < since).order_by(last, o.id).limit(limit))
    condition = scope.people(o.owner_id)
    if condition is not None:
        query = query.where(condition)
    if rep_id:
        query = query.where(o.owner_id == rep_id)
    return [dict(row) for row in session.execute(query).mappings()]


def view_of_reps(uow_factory, viewer: Identity, query: ViewQuery) -> list[dict]:
    """The per-rep rows of the reps `viewer` may see."""
    with uow_factory() as uow:
        return rep_rows(uow, TeamScope.of(uow, viewer), query)


def stale_deals(uow_factory, viewer: Identity, rep_id: str | None, since: datetime) -> list[dict]:
    with uow_factory() as uow:
        return stale_opportunities(uow.session, TeamScope.of(uow, viewer), rep_id, since)
