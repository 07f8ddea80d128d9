"""The sales service: customers made from converted leads."""
from __future__ import annotations

from flask import Flask

from crm_shared.db import make_engine, make_session_factory
from crm_shared.settings import Settings
from crm_shared.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app; nothing connects before the first request."""
    from sales.api import blp
    from sales.config import load_settings
    from sales.db import start_mappers
    from sales.uow import SalesUnitOfWork

    settings = settings or load_settings()
    start_mappers()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    return create_service_app(
        settings=settings,
        title="CRM sales",
        blueprints=[blp],
        engine=engine,
        extensions={"crm.uow_factory": lambda: SalesUnitOfWork(session_factory)},
    )
