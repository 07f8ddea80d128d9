"""Fixtures of the leads service: a migrated scratch database, the app, and tokens."""

import pytest

from crm_shared.envelope import format_time, utc_now
from crm_shared.pytest_service import ServiceUnderTest
from crm_shared.testing import contract_with
from leads import create_app
from leads.config import SERVICE, SERVICE_ROOT
from leads.db import start_mappers
from leads.directory_handlers import USER_CHANGED
from leads.handlers import HANDLERS


@pytest.fixture
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(SERVICE, SERVICE_ROOT, create_app, HANDLERS)


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
def admin(tokens):
    return tokens.headers("admin-1", ["admin"], "admin")


@pytest.fixture
def in_directory(deliver):
    """Tell the service who a user is, as the gateway's user event does: in_directory("rep-1", ["sales_rep"], ["east"])."""

    def tell(user_id: str, roles, team_ids=(), active: bool = True):
        teams = sorted(team_ids)
        assert deliver(contract_with(
            USER_CHANGED, user_id=user_id, username=user_id, display_name=user_id, roles=sorted(roles),
            team_ids=teams, teams=[{"id": team, "name": team} for team in teams], active=active,
            changed_at=format_time(utc_now()),
        ))

    return tell


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

