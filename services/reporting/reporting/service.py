"""The use cases of reporting: reading dashboards and rebuilding the read models; the only place that commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Mapping

from crm_shared.auth import Identity
from crm_shared.envelope import Envelope
from reporting import dashboards, projections
from reporting.config import reporting_time_zone
from reporting.periods import InvalidParameter, Period, period_from_query, today_in
from reporting.projections import channel_stats
from reporting.scopes import SCOPES, Scope, narrowed, scope_of
from reporting.uow import ReportingUnitOfWork

UowFactory = Callable[[], ReportingUnitOfWork]
DASHBOARD_PARAMETERS = frozenset({"period", "from", "to", "scope"})


def channel_dashboard(uow_factory: UowFactory) -> dict[str, Any]:
    """Counters per channel (sorted by channel), their totals, and the time of the newest event counted."""
    with uow_factory() as uow:
        channels = channel_stats.rows(uow.session)
    return {
        "channels": channels,
        "totals": {counter: sum(row[counter] for row in channels) for counter in channel_stats.COUNTERS},
        "updated_at": max((row["updated_at"] for row in channels), default=None),
    }


def rebuild_read_models(uow_factory: UowFactory, batch_size: int = 1000) -> int:
    """Empty every read model and replay the whole archive through the projections; returns the events replayed.

    One transaction: dashboards read the old numbers until the new ones commit, and live events wait
    (see EventArchive.hold_appends) instead of being counted twice or lost.
    """
    with uow_factory() as uow:
        uow.archive.hold_appends()
        projections.clear(uow.session)
        replayed = 0
        chunk: list[Envelope] = []
        # Projected a chunk at a time, set-based, as the live worker does a delivered batch.
        for envelope in uow.archive.replay(batch_size):
            chunk.append(envelope)
            if len(chunk) == batch_size:
                projections.project(chunk, uow.session)
                replayed, chunk = replayed + len(chunk), []
        projections.project(chunk, uow.session)
        replayed += len(chunk)
        uow.commit()
    return replayed


@dataclass(frozen=True)
class DashboardRequest:
    """Whose records a period dashboard counts, over which days, as of which day."""

    scope: Scope
    period: Period
    today: date


def dashboard_request(identity: Identity, args: Mapping[str, str]) -> DashboardRequest:
    """The viewer's scope (narrowed by `scope`) and the period the query asks for; 400 names a bad parameter."""
    for name in sorted(set(args) - DASHBOARD_PARAMETERS):
        raise InvalidParameter(name, f"Unknown parameter `{name}`; use {', '.join(sorted(DASHBOARD_PARAMETERS))}.")
    zone = reporting_time_zone()
    today = today_in(zone)
    period = period_from_query(args, today, zone)
    scope = scope_of(identity)
    level = args.get("scope")
    if level is not None:
        if level not in SCOPES:
            raise InvalidParameter("scope", f"There is no scope '{level}'; use one of: {', '.join(SCOPES)}.")
        scope = narrowed(scope, level)
    return DashboardRequest(scope, period, today)


def _described(request: DashboardRequest, figures: dict[str, Any]) -> dict[str, Any]:
    period = request.period
    return {
        "period": {
            "first": period.first, "last": period.last, "time_zone": period.zone.key, "scope": request.scope.level,
            "previous": {"first": period.previous.first, "last": period.previous.last, "time_zone": period.zone.key},
        },
        **figures,
    }


def acquisition_dashboard(uow_factory: UowFactory, request: DashboardRequest) -> dict[str, Any]:
    """Leads and what became of them, per channel and campaign, in the viewer's scope."""
    with uow_factory() as uow:
        return _described(request, dashboards.acquisition(uow.session, request.scope, request.period))


def sales_dashboard(uow_factory: UowFactory, request: DashboardRequest) -> dict[str, Any]:
    """Activity, pipeline, deals and money per rep and team, in the viewer's scope."""
    with uow_factory() as uow:
        return _described(request, dashboards.sales(uow.session, request.scope, request.period, request.today))


def service_dashboard(uow_factory: UowFactory, request: DashboardRequest) -> dict[str, Any]:
    """Ticket volume, speed, SLA and satisfaction, in the viewer's scope."""
    with uow_factory() as uow:
        return _described(request, dashboards.service(uow.session, request.scope, request.period))


def pool_dashboard(uow_factory: UowFactory, request: DashboardRequest) -> dict[str, Any]:
    """Pool entries, exits, reasons and follow-up speed, in the viewer's scope."""
    with uow_factory() as uow:
        return _described(request, dashboards.pool(uow.session, request.scope, request.period))


def executive_dashboard(uow_factory: UowFactory, request: DashboardRequest) -> dict[str, Any]:
    """Revenue, collections, expenses against the previous period, and targets, in the viewer's scope."""
    with uow_factory() as uow:
        return _described(request, dashboards.executive(uow.session, request.scope, request.period))
