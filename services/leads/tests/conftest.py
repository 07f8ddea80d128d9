"""Fixtures of the leads service: a migrated scratch database, the app, and tokens."""
from pathlib import Path

import pytest

from crm_shared import testing
from leads import create_app
from leads.config import SERVICE, SERVICE_ROOT
from leads.db import start_mappers
from leads.uow import LeadsUnitOfWork


@pytest.fixture
def settings(tmp_path: Path):
    with testing.scratch_database(SERVICE, tmp_path) as url:
        settings = testing.service_settings(SERVICE, tmp_path, url)
        testing.migrate(settings, SERVICE_ROOT)
        yield settings


@pytest.fixture
def app(settings):
    app = create_app(settings)
    yield app
    app.extensions["crm.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def uow_factory(app):
    return app.extensions["crm.uow_factory"]


@pytest.fixture
def tokens(settings):
    return testing.Tokens(settings)


@pytest.fixture
def rep1(tokens):
    return tokens.headers("rep-1", ["sales_rep"], "rep1")


@pytest.fixture
def rep2(tokens):
    return tokens.headers("rep-2", ["sales_rep"], "rep2")


@pytest.fixture
def manager(tokens):
    return tokens.headers("manager-1", ["sales_manager"], "manager")


@pytest.fixture
def agent(tokens):
    return tokens.headers("agent-1", ["service_agent"], "agent1")


@pytest.fixture(autouse=True)
def _mapped():
    start_mappers()


@pytest.fixture
def new_lead():
    return {"company": "Acme 上海", "contact_name": "Wang Fang", "phone": "+86 21 5555 0101",
            "email": "wang@example.cn", "channel": "web",
            # Tests create this same lead many times; refusing duplicates is tested in test_duplicates_api.py.
            "allow_duplicate": True}


def outbox_names(uow_factory: "callable") -> list[str]:
    from sqlalchemy import select

    from crm_shared.db import outbox

    with uow_factory() as uow:
        return list(uow.session.scalars(select(outbox.c.name).order_by(outbox.c.position)))


@pytest.fixture
def published(uow_factory):
    """The names of the events in the outbox, in order."""
    return lambda: outbox_names(uow_factory)

