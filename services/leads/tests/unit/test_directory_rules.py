"""What a gateway user event tells the directory, and whose leads each role oversees."""
import pytest

from crm_shared.testing import contract, contract_with
from leads.directory_handlers import USER_CHANGED, USER_REGISTERED, directory_entry
from leads.pools import Member
from leads.timeline_handlers import InvalidPayload


def test_the_contract_examples_read_as_directory_entries():
    registered, changed = directory_entry(contract(USER_REGISTERED)), directory_entry(contract(USER_CHANGED))
    assert registered.user_id == changed.user_id == contract(USER_REGISTERED).payload["user_id"]
    assert (registered.roles, registered.active) == ({"sales_rep"}, True)
    assert changed.team_ids == set(contract(USER_CHANGED).payload["team_ids"]) and len(changed.team_ids) == 2
    assert registered.at < changed.at


@pytest.mark.parametrize("changes", [
    {"user_id": ""}, {"roles": "sales_rep"}, {"team_ids": [None]}, {"active": "yes"}, {"changed_at": "tuesday"},
])
def test_an_event_missing_a_fact_is_refused(changes):
    with pytest.raises(InvalidPayload):
        directory_entry(contract_with(USER_CHANGED, **changes))


def test_only_a_sales_manager_oversees_their_teams_and_only_an_admin_sees_every_lead():
    teams = frozenset({"east"})
    rep, manager, admin = (Member("u", frozenset({role}), teams) for role in ("sales_rep", "sales_manager", "admin"))
    assert [m.overseen_teams for m in (rep, manager, admin)] == [frozenset(), teams, frozenset()]
    assert [m.sees_every_lead for m in (rep, manager, admin)] == [False, False, True]
    assert [m.is_manager for m in (rep, manager, admin)] == [False, True, True]
