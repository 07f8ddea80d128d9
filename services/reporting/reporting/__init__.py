"""The reporting service: an archive of every event it consumes and the dashboards projected from it."""
from __future__ import annotations

from flask import Flask

from crm_shared.db import make_engine, make_session_factory
from crm_shared.settings import Settings
from crm_shared.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app; nothing connects before the first request."""
    from reporting.api import blp
    from reporting.report_api import BLUEPRINTS
    from reporting.schedule_api import BLUEPRINTS as SCHEDULE_BLUEPRINTS
    from reporting.config import load_settings
    from reporting.uow import ReportingUnitOfWork

    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    return create_service_app(
        settings=settings,
        title="CRM reporting",
        blueprints=[blp, *BLUEPRINTS, *SCHEDULE_BLUEPRINTS],
        engine=engine,
        extensions={"crm.uow_factory": lambda: ReportingUnitOfWork(session_factory)},
    )
