"""Who receives which live event."""
import pytest

from crm_shared.auth import Identity
from crm_shared.testing import contract
from gateway.live.visibility import LIVE_EVENTS, may_see

OWNER = "7d0e1c2b-0000-4000-8000-000000000003"  # owner_id / customer_owner_id in the contract examples


def viewer(roles, user_id="someone-else"):
    return Identity(user_id=user_id, username=user_id, roles=frozenset(roles))


VIEWERS = {
    "owner rep": viewer(["sales_rep"], OWNER),
    "other rep": viewer(["sales_rep"]),
    "sales manager": viewer(["sales_manager"]),
    "executive": viewer(["executive"]),
    "service agent": viewer(["service_agent"]),
    "service manager": viewer(["service_manager"]),
    "admin": viewer(["admin"]),
    "nobody": viewer([]),
}

EXPECTED = {
    "leads.lead.created.v1": {"owner rep", "other rep", "sales manager", "admin"},
    "leads.lead.claimed.v1": {"owner rep", "other rep", "sales manager", "admin"},
    "leads.lead.converted.v1": {"owner rep", "sales manager", "admin"},
    "leads.lead.returned.v1": {"owner rep", "other rep", "sales manager", "admin"},
    "leads.lead.recycled.v1": {"owner rep", "other rep", "sales manager", "admin"},
    "leads.lead.distributed.v1": {"owner rep", "other rep", "sales manager", "admin"},
    "leads.reminder.due.v1": {"owner rep"},
    "leads.follow_up.logged.v1": {"owner rep", "sales manager", "admin"},
    "sales.customer.created.v1": {"owner rep", "sales manager", "executive", "service agent", "service manager", "admin"},
    "service_desk.ticket.opened.v1": {"owner rep", "service agent", "service manager", "sales manager", "admin"},
}


def test_the_live_events_are_exactly_those_with_an_expected_audience():
    assert set(LIVE_EVENTS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_event_reaches_exactly_the_viewers_allowed_to_see_it(name):
    example = contract(name)
    allowed = {label for label, who in VIEWERS.items() if may_see(who, example.name, example.payload)}
    assert allowed == EXPECTED[name]


def test_an_event_without_a_rule_reaches_nobody_not_even_an_admin():
    assert not may_see(VIEWERS["admin"], "sales.invoice.paid.v1", {})


def test_a_missing_owner_in_the_payload_does_not_make_everyone_the_owner():
    nobody_owned = {"owner_id": None}
    assert not may_see(viewer(["sales_rep"], "None"), "leads.lead.converted.v1", nobody_owned)
    assert not may_see(viewer(["sales_rep"], ""), "leads.lead.converted.v1", {})
    assert not may_see(viewer(["sales_rep"], "None"), "leads.reminder.due.v1", nobody_owned)
    assert not may_see(viewer(["sales_rep"], ""), "leads.reminder.due.v1", {})
