"""The use cases of reporting: reading dashboards and rebuilding the read models; the only place that commits."""
from __future__ import annotations

from typing import Any, Callable

from reporting import projections
from reporting.projections import channel_stats
from reporting.uow import ReportingUnitOfWork

UowFactory = Callable[[], ReportingUnitOfWork]


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
        for envelope in uow.archive.replay(batch_size):
            projections.apply(envelope, uow.session)
            replayed += 1
        uow.commit()
    return replayed
