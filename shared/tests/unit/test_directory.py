"""The shared user directory: user events replace a user's row unless older, and team membership is queryable."""
from __future__ import annotations

import pytest
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.orm import Session

from crm_shared import testing
from crm_shared.directory import Directory, InvalidUserEvent, directory_tables, keep_user_in_directory


@pytest.fixture
def directory():
    metadata = MetaData()
    tables = directory_tables(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session:
        yield Directory(session, tables)


def changed(user_id: str, *teams: str, at: str = "2026-11-27T09:30:00Z", active: bool = True, roles=("sales_rep",)):
    return testing.contract_with("gateway.user.changed.v1", user_id=user_id, username=user_id, roles=list(roles),
                                 team_ids=list(teams), active=active, changed_at=at)


def test_a_registered_user_is_kept_with_roles_and_teams_from_the_contract_example(directory):
    example = testing.contract("gateway.user.registered.v1")
    assert keep_user_in_directory(example, directory) is True
    assert directory.teams_of(example.payload["user_id"]) == frozenset(example.payload["team_ids"])
    assert directory.teams_of("someone-else") is None


def test_a_later_change_replaces_the_teams_and_an_older_one_is_ignored(directory):
    assert keep_user_in_directory(changed("u1", "east", "north", at="2026-11-27T09:30:00Z"), directory)
    assert keep_user_in_directory(changed("u1", "west", at="2026-11-27T10:00:00Z"), directory)
    assert not keep_user_in_directory(changed("u1", "east", at="2026-11-27T09:45:00Z"), directory)
    assert directory.teams_of("u1") == frozenset({"west"})
    keep_user_in_directory(changed("u2", "west"), directory)
    members = directory.session.scalars(select(directory.members_of_teams(["west"]).subquery().c.user_id))
    assert sorted(members) == ["u1", "u2"]


def test_a_disabled_user_belongs_to_no_team(directory):
    keep_user_in_directory(changed("u1", "east", active=False), directory)
    assert directory.teams_of("u1") == frozenset()


@pytest.mark.parametrize("changes", [{"active": "yes"}, {"team_ids": "east"}, {"user_id": ""}, {"changed_at": "noon"}])
def test_an_event_missing_a_fact_is_refused_whole(directory, changes):
    with pytest.raises(InvalidUserEvent):
        keep_user_in_directory(testing.contract_with("gateway.user.changed.v1", **changes), directory)
