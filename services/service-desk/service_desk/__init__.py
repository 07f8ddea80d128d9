"""The service-desk service: tickets for the customers it knows of."""
from __future__ import annotations

from flask import Flask

from crm_shared.db import make_engine, make_session_factory
from crm_shared.settings import Settings
from crm_shared.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app; nothing connects before the first request."""
    from service_desk.api import blp
    from service_desk.public_api import public_blp
    from service_desk.return_visit_api import return_visits_blp
    from service_desk.config import load_settings
    from service_desk.kb_api import BLUEPRINTS as KB_BLUEPRINTS
    from service_desk.sla_api import BLUEPRINTS as SLA_BLUEPRINTS
    from service_desk.sla_service import register_sla_reader
    from service_desk.audit_api import audit_blp
    from service_desk.db import start_mappers
    from service_desk.workflow_api import BLUEPRINTS as WORKFLOW_BLUEPRINTS
    from service_desk.workflow_jobs import register_rule_hooks
    from service_desk.uow import ServiceDeskUnitOfWork

    settings = settings or load_settings()
    start_mappers()
    register_rule_hooks()
    register_sla_reader()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    return create_service_app(
        settings=settings,
        title="CRM service desk",
        blueprints=[blp, return_visits_blp, public_blp, *KB_BLUEPRINTS, *WORKFLOW_BLUEPRINTS, *SLA_BLUEPRINTS,
                    audit_blp],
        engine=engine,
        extensions={"crm.uow_factory": lambda: ServiceDeskUnitOfWork(session_factory)},
    )
