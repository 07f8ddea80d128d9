"""The leads service: the lead pool and the public pool."""
from __future__ import annotations

from flask import Flask

from crm_shared.db import make_engine, make_session_factory
from crm_shared.settings import Settings
from crm_shared.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app; nothing connects before the first request."""
    from leads.admin_api import markets_blp, pools_blp
    from leads.api import blp
    from leads.audit_api import audit_blp
    from leads.campaign_api import campaigns_blp, materials_blp, track_blp
    from leads.config import load_settings
    from leads.db import start_mappers
    from leads.follow_ups_api import agenda_blp, follow_ups_blp
    from leads.material_files import MaterialStore
    from leads.recycling_api import recycle_locks_blp, recycle_preview_blp
    from leads.search_api import search_blp
    from leads.uow import LeadsUnitOfWork

    settings = settings or load_settings()
    start_mappers()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    return create_service_app(
        settings=settings,
        title="CRM leads",
        blueprints=[blp, pools_blp, markets_blp, campaigns_blp, materials_blp, track_blp,
                    follow_ups_blp, agenda_blp, search_blp, recycle_locks_blp, recycle_preview_blp, audit_blp],
        engine=engine,
        extensions={
            "crm.uow_factory": lambda: LeadsUnitOfWork(session_factory),
            "leads.material_store": MaterialStore.from_settings(settings),
        },
    )
