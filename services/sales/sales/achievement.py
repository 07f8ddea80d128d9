"""What reps, teams and departments actually reached in a period, summed in SQL from the sales tables.

won_amount: won opportunities' amounts by close date; payments_collected: received payments less refunds
(recorded as negative payments) by the date received, credited to the contract's owner; new_customers:
customers created in the period, counted for their owner. Each is grouped by subject (and currency).
"""
from __future__ import annotations

from datetime import datetime, time, timezone
from decimal import Decimal
from typing import Iterable

from sqlalchemy import String, cast, func, null, select
from sqlalchemy.orm import Session

from sales.db import customers, opportunities
from sales.db_customers_pipeline import directory
from sales.db_money import payments
from sales.db_orders_contracts import contracts
from sales.db_targets import department_teams
from sales.opportunities import WON
from sales.payments import RECEIVED
from sales.sql_money import cents_total, from_cents
from sales.targets import DEPARTMENT, NEW_CUSTOMERS, PAYMENTS_COLLECTED, REP, TEAM, WON_AMOUNT, Period


def start_of_day(day) -> datetime:
    """Midnight UTC of a day: periods are calendar days in UTC."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def facts(metric: str, period: Period):
    """(owner_id, currency, amount) of what counts towards `metric` in `period`; amount is None for counts."""
    if metric == WON_AMOUNT:
        o = opportunities.c
        return select(o.owner_id.label("owner_id"), o.currency.label("currency"), o.amount.label("amount")).where(
            o.status == WON, o.closed_at >= start_of_day(period.start), o.closed_at < start_of_day(period.end))
    if metric == PAYMENTS_COLLECTED:
        p, c = payments.c, contracts.c
        return (select(c.owner_id.label("owner_id"), p.currency.label("currency"), p.amount.label("amount"))
                .select_from(payments.join(contracts, c.id == p.contract_id))
                .where(p.status == RECEIVED, p.received_on >= period.start, p.received_on < period.end))
    if metric == NEW_CUSTOMERS:
        k = customers.c
        nothing = cast(null(), String)
        return select(k.owner_id.label("owner_id"), nothing.label("currency"), nothing.label("amount")).where(
            k.owner_id.is_not(None), k.created_at >= start_of_day(period.start),
            k.created_at < start_of_day(period.end))
    raise ValueError(f"no metric {metric!r}")


def _membership(subject_kind: str, subject_ids: list[str]):
    """(user_id, subject_id): who counts towards each subject; each user once per subject."""
    members = directory.user_teams.c
    if subject_kind == TEAM:
        return select(members.user_id.label("user_id"), members.team_id.label("subject_id")) \
            .where(members.team_id.in_(subject_ids))
    if subject_kind == DEPARTMENT:
        return (select(members.user_id.label("user_id"), department_teams.c.department_id.label("subject_id"))
                .select_from(directory.user_teams.join(department_teams,
                                                       department_teams.c.team_id == members.team_id))
                .where(department_teams.c.department_id.in_(subject_ids)).distinct())
    raise ValueError(f"no subject kind {subject_kind!r}")


def actuals(session: Session, metric: str, period: Period, subject_kind: str,
            subject_ids: Iterable[str]) -> dict[tuple[str, str | None], Decimal]:
    """{(subject_id, currency): actual} for the subjects that have any; currency is None for new_customers."""
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    fact = facts(metric, period).subquery()
    if subject_kind == REP:
        subject = fact.c.owner_id
        source, conditions = fact, [fact.c.owner_id.in_(ids)]
    else:
        members = _membership(subject_kind, ids).subquery()
        subject = members.c.subject_id
        source, conditions = fact.join(members, members.c.user_id == fact.c.owner_id), []
    total = func.count() if metric == NEW_CUSTOMERS else cents_total(fact.c.amount)
    rows = session.execute(select(subject, fact.c.currency, total).select_from(source).where(*conditions)
                           .group_by(subject, fact.c.currency))
    return {(subject_id, currency): Decimal(value) if metric == NEW_CUSTOMERS else from_cents(value)
            for subject_id, currency, value in rows}
