"""The reporting worker process: `python -m reporting.worker`."""
from crm_shared.db import make_engine, make_session_factory
from crm_shared.worker import run_worker
from reporting.config import load_settings
from reporting.handlers import HANDLERS
from reporting.schedule_service import schedule_jobs
from reporting.uow import ReportingUnitOfWork

# Events projected per transaction: the read models take thousands of events a second, and a commit per
# event would cap the worker near the database's commit rate (crm_shared.bus.consumer.EventConsumer). Each
# batch is archived, marked and projected set-based (handlers.record_all): a few statements per batch, so
# the larger the batch the less each event pays for them (handle_many alone: 0.16 ms an event in batches
# of 100, 0.11 in 200, 0.10 in 500, 2026-11-28). A backlog fills whole batches; a quiet stream is handed
# over 20 ms after its last event.
CONSUMER_BATCH_SIZE = 500


def main() -> None:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    run_worker(
        settings=settings,
        engine=engine,
        uow_factory=lambda: ReportingUnitOfWork(session_factory),
        handlers=HANDLERS,
        jobs=[*schedule_jobs(lambda: ReportingUnitOfWork(session_factory))],
        consumer_batch_size=CONSUMER_BATCH_SIZE,
    )


if __name__ == "__main__":
    main()
