"""The service-desk worker process: `python -m service_desk.worker`."""
from crm_shared.db import make_engine, make_session_factory
from crm_shared.worker import run_worker
from service_desk.config import load_settings
from service_desk.db import start_mappers
from service_desk.handlers import HANDLERS
from service_desk.sla_service import sla_jobs
from service_desk.uow import ServiceDeskUnitOfWork
from service_desk.workflow_jobs import jobs as workflow_jobs, register_rule_hooks


def main() -> None:
    settings = load_settings()
    start_mappers()
    register_rule_hooks()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    run_worker(
        settings=settings,
        engine=engine,
        uow_factory=lambda: ServiceDeskUnitOfWork(session_factory),
        handlers=HANDLERS,
        jobs=[*workflow_jobs(lambda: ServiceDeskUnitOfWork(session_factory)),
              # Warnings and breaches of SLA deadlines, announced once per ticket, metric and cycle.
              *sla_jobs(lambda: ServiceDeskUnitOfWork(session_factory))],
    )


if __name__ == "__main__":
    main()
