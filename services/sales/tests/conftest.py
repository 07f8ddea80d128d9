"""Fixtures of the sales service: a migrated scratch database, the app, the worker's consumer path, tokens."""
from __future__ import annotations

import json
import uuid
from typing import Callable

import pytest
from sqlalchemy import func, select

from crm_shared import testing
from crm_shared.db import outbox
from crm_shared.envelope import Envelope
from crm_shared.pytest_service import ServiceUnderTest
from sales import create_app
from sales.config import SERVICE, SERVICE_ROOT
from sales.db import customers, start_mappers
from sales.handlers import HANDLERS


@pytest.fixture
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(SERVICE, SERVICE_ROOT, create_app, HANDLERS)


@pytest.fixture(autouse=True)
def _mapped():
    start_mappers()


@pytest.fixture
def published(uow_factory) -> Callable[[], list[dict]]:
    """The envelopes in the outbox, oldest first, as dicts."""

    def read() -> list[dict]:
        with uow_factory() as uow:
            return [json.loads(body) for body in uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position))]

    return read


@pytest.fixture
def customer_count(uow_factory) -> Callable[[], int]:
    def count() -> int:
        with uow_factory() as uow:
            return uow.session.execute(select(func.count()).select_from(customers)).scalar_one()

    return count


@pytest.fixture
def headers(tokens) -> Callable[..., dict]:
    """Authorization headers for a user id with some roles."""
    return lambda user_id, *roles: tokens.headers(user_id, roles, user_id)


@pytest.fixture
def convert(deliver) -> Callable[..., Envelope]:
    """Deliver a `leads.lead.converted.v1` like the contract example, with a fresh lead id and some changes."""

    def converted(**changes) -> Envelope:
        envelope = testing.contract_with("leads.lead.converted.v1", **{"lead_id": str(uuid.uuid4()), **changes})
        assert deliver(envelope) is True
        return envelope

    return converted


@pytest.fixture
def in_directory(deliver) -> Callable[..., None]:
    """Tell sales, as the gateway would, that a user has these roles and teams (`gateway.user.changed.v1`)."""

    def user(user_id: str, *team_ids: str, roles=("sales_rep",), active: bool = True,
             changed_at: str = "2026-11-27T09:30:00Z") -> None:
        envelope = testing.contract_with(
            "gateway.user.changed.v1", user_id=user_id, username=user_id, display_name=user_id, roles=list(roles),
            team_ids=list(team_ids), teams=[{"id": t, "name": t} for t in team_ids], active=active,
            changed_at=changed_at,
        )
        assert deliver(envelope) is True

    return user


# Who is in the two teams, with the role each signs in with.
TWO_TEAMS = (("rep-e1", "east", "sales_rep"), ("rep-e2", "east", "sales_rep"), ("boss-east", "east", "sales_manager"),
             ("rep-w1", "west", "sales_rep"), ("boss-west", "west", "sales_manager"))


@pytest.fixture
def two_teams(in_directory, headers) -> dict[str, dict]:
    """Teams east (rep-e1, rep-e2, boss-east) and west (rep-w1, boss-west) in the directory, and an admin (root):
    each one's authorization headers by name."""
    for name, team, role in TWO_TEAMS:
        in_directory(name, team, roles=(role,))
    return {**{name: headers(name, role) for name, _, role in TWO_TEAMS}, "root": headers("root", "admin")}
