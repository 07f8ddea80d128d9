"""The leads worker process: `python -m leads.worker`."""
from crm_shared.db import make_engine, make_session_factory
from crm_shared.worker import run_worker
from leads.config import load_settings
from leads.db import start_mappers
from leads.follow_up_service import reminder_jobs
from leads.handlers import HANDLERS
from leads.import_runner import ImportRunner
from leads.recycling_service import recycle_jobs
from leads.uow import LeadsUnitOfWork


def main() -> None:
    settings = load_settings()
    start_mappers()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    uow_factory = lambda: LeadsUnitOfWork(session_factory)  # noqa: E731
    run_worker(
        settings=settings,
        engine=engine,
        uow_factory=uow_factory,
        handlers=HANDLERS,
        jobs=[*reminder_jobs(uow_factory), *recycle_jobs(uow_factory)],
        # Queued imports start within CRM_LEADS_IMPORT_POLL_SECONDS, beside the timed jobs, not behind them.
        background=[ImportRunner.from_env(uow_factory).run],
    )


if __name__ == "__main__":
    main()
