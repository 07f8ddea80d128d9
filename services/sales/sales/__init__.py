"""The sales service: customers made from converted leads, and their opportunities."""
from __future__ import annotations

from flask import Flask

from crm_shared.db import make_engine, make_session_factory
from crm_shared.settings import Settings
from crm_shared.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app; nothing connects before the first request."""
    from sales.api import blp, opportunities_blp
    from sales.approvals_api import approvals_blp
    from sales.audit_api import audit_blp
    from sales.contract_files import ContractFileStore
    from sales.contracts_api import contracts_blp
    from sales.invoices_api import invoices_blp
    from sales.payments_api import installments_blp, payment_plans_blp, payments_blp
    from sales.refunds_api import refunds_blp
    from sales.follow_ups_api import follow_ups_blp
    from sales.timeline_api import timeline_blp
    from sales.orders_api import orders_blp
    from sales.expenses_api import expenses_blp
    from sales.targets_api import departments_blp, targets_blp
    from sales.team_views_api import team_views_blp
    from sales.pipeline_api import levels_blp, pipeline_blp, products_blp
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
        blueprints=[blp, opportunities_blp, orders_blp, contracts_blp, approvals_blp, pipeline_blp, products_blp,
                    levels_blp, payment_plans_blp, installments_blp, payments_blp, invoices_blp,
                    refunds_blp, follow_ups_blp, timeline_blp,
                    targets_blp, departments_blp, expenses_blp, team_views_blp, audit_blp],
        engine=engine,
        extensions={"crm.uow_factory": lambda: SalesUnitOfWork(session_factory),
                    "sales.contract_file_store": ContractFileStore.from_settings(settings)},
    )
