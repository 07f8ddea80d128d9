"""The sales worker process: `python -m sales.worker`."""
from crm_shared.db import make_engine, make_session_factory
from crm_shared.worker import run_worker
from sales.config import load_settings
from sales.contract_service import contract_jobs
from sales.db import start_mappers
from sales.handlers import HANDLERS
from sales.payment_service import installment_jobs
from sales.uow import SalesUnitOfWork


def main() -> None:
    settings = load_settings()
    start_mappers()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    run_worker(
        settings=settings,
        engine=engine,
        uow_factory=lambda: SalesUnitOfWork(session_factory),
        handlers=HANDLERS,
        # Contracts start, end and come up for renewal by date; installments come due and fall overdue.
        jobs=[*contract_jobs(lambda: SalesUnitOfWork(session_factory)),
              *installment_jobs(lambda: SalesUnitOfWork(session_factory))],
    )


if __name__ == "__main__":
    main()
