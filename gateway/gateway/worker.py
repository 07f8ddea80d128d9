"""The gateway worker process: `python -m gateway.worker` records live events and prunes old ones."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from crm_shared.db import make_engine, make_session_factory
from crm_shared.scheduler import Every, TimedJob
from crm_shared.worker import run_worker
from gateway.config import load_settings
from gateway.handlers import HANDLERS
from gateway.live import store
from gateway.uow import GatewayUnitOfWork

LIVE_EVENTS_KEPT = timedelta(hours=1)


def prune_job(engine: Engine) -> TimedJob:
    """Every 10 minutes, forget live events older than an hour."""

    def run(due_at: datetime) -> None:
        store.prune(engine, due_at - LIVE_EVENTS_KEPT)

    return TimedJob("gateway.prune_live_events", Every(timedelta(minutes=10)), run)


def main() -> None:
    settings = load_settings()
    engine = make_engine(settings.common.database_url)
    session_factory = make_session_factory(engine)
    run_worker(
        settings=settings.common,
        engine=engine,
        uow_factory=lambda: GatewayUnitOfWork(session_factory),
        handlers=HANDLERS,
        jobs=[prune_job(engine)],
    )


if __name__ == "__main__":
    main()
