"""The reporting worker process: `python -m reporting.worker`."""
from crm_shared.db import make_engine, make_session_factory
from crm_shared.worker import run_worker
from reporting.config import load_settings
from reporting.handlers import HANDLERS
from reporting.schedule_service import schedule_jobs
from reporting.uow import ReportingUnitOfWork


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
    )


if __name__ == "__main__":
    main()
