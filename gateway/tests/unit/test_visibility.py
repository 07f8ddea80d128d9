"""Who receives which live event."""
import pytest

from crm_shared.auth import Identity
from crm_shared.testing import contract
from gateway.live.visibility import LIVE_EVENTS, OWNER_FIELDS, may_see, owners_of

OWNER = "7d0e1c2b-0000-4000-8000-000000000003"  # owner_id / customer_owner_id in the contract examples
# The teams the worker stored with each example: those of the people it is about.
OWNER_TEAMS = frozenset({"team-a", "team-c"})


def viewer(roles, user_id="someone-else", teams=()):
    return Identity(user_id=user_id, username=user_id, roles=frozenset(roles), team_ids=frozenset(teams))


VIEWERS = {
    "owner rep": viewer(["sales_rep"], OWNER),
    "other rep": viewer(["sales_rep"], teams=["team-a"]),
    "sales manager": viewer(["sales_manager"], teams=["team-b", "team-a"]),
    "other team's manager": viewer(["sales_manager"], teams=["team-b"]),
    "manager of no team": viewer(["sales_manager"]),
    "executive": viewer(["executive"]),
    "service agent": viewer(["service_agent"]),
    "service manager": viewer(["service_manager"]),
    "admin": viewer(["admin"]),
    "nobody": viewer([]),
}

ALL_OF_SALES = {"owner rep", "other rep", "sales manager", "other team's manager", "manager of no team"}
ALL_OF_SERVICE_AND_READERS = {"service agent", "service manager", "executive", "admin"}

EXPECTED = {
    "leads.lead.created.v1": {*ALL_OF_SALES, "admin"},
    "leads.lead.claimed.v1": {*ALL_OF_SALES, "admin"},
    "leads.lead.converted.v1": {"owner rep", "sales manager", "admin"},
    "leads.lead.returned.v1": {*ALL_OF_SALES, "admin"},
    "leads.lead.recycled.v1": {*ALL_OF_SALES, "admin"},
    "leads.lead.distributed.v1": {*ALL_OF_SALES, "admin"},
    "leads.reminder.due.v1": {"owner rep"},
    "leads.follow_up.logged.v1": {"owner rep", "sales manager", "admin"},
    "sales.customer.created.v1": {"owner rep", "sales manager", "executive", "service agent", "service manager", "admin"},
    "sales.customer.returned.v1": {"owner rep", "sales manager", "executive", "service agent", "service manager", "admin"},
    # The example hands the customer from nobody to someone else.
    "sales.customer.owner_changed.v1": {"sales manager", "executive", "service agent", "service manager", "admin"},
    "sales.opportunity.opened.v1": {"owner rep", "sales manager", "executive", "admin"},
    "sales.opportunity.closed.v1": {"owner rep", "sales manager", "executive", "admin"},
    "sales.opportunity.stage_changed.v1": {"owner rep", "sales manager", "executive", "admin"},
    "sales.opportunity.updated.v1": {"owner rep", "sales manager", "executive", "admin"},
    "service_desk.ticket.opened.v1": {"owner rep", *ALL_OF_SERVICE_AND_READERS, "sales manager"},
    "service_desk.ticket.closed.v1": {"owner rep", *ALL_OF_SERVICE_AND_READERS, "sales manager"},
    # The lifecycle's and the SLA's events name the customer's owner, like opened and closed.
    **{
        f"service_desk.ticket.{what}.v1": {"owner rep", *ALL_OF_SERVICE_AND_READERS, "sales manager"}
        for what in (
            "status_changed", "replied", "assigned", "updated", "reopened", "rated",
            "sla_warning", "sla_breached", "escalated", "handed_back",
        )
    },
    # A request from the public form has no customer yet, so no owner: no one in sales may be shown it.
    "service_desk.ticket.submitted.v1": ALL_OF_SERVICE_AND_READERS,
}


def test_the_live_events_are_exactly_those_with_an_expected_audience():
    assert set(LIVE_EVENTS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_event_reaches_exactly_the_viewers_allowed_to_see_it(name):
    example = contract(name)
    allowed = {label for label, who in VIEWERS.items() if may_see(who, example.name, example.payload, OWNER_TEAMS)}
    assert allowed == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(OWNER_FIELDS))
def test_a_sales_manager_sees_an_owner_s_event_only_when_the_owner_is_in_one_of_their_teams(name):
    payload = {**contract(name).payload, **{field: OWNER for field in OWNER_FIELDS[name]}}
    manager = viewer(["sales_manager"], "manager-1", teams=["team-a"])
    assert may_see(manager, name, payload, frozenset({"team-a"}))
    assert not may_see(manager, name, payload, frozenset({"team-b"}))
    assert not may_see(manager, name, payload, frozenset())
    # Sharing a team with the owner is a manager's privilege, not a rep's.
    assert not may_see(viewer(["sales_rep"], "rep-2", teams=["team-a"]), name, payload, frozenset({"team-a"}))


TICKET_EVENTS_WITHOUT_AN_OWNER = sorted(name for name, audience in EXPECTED.items() if audience == ALL_OF_SERVICE_AND_READERS)


@pytest.mark.parametrize("name", TICKET_EVENTS_WITHOUT_AN_OWNER)
def test_a_ticket_event_naming_the_customer_s_owner_reaches_that_rep_and_not_another(name):
    payload = {**contract(name).payload, "customer_owner_id": OWNER}
    assert may_see(VIEWERS["owner rep"], name, payload, OWNER_TEAMS)
    assert not may_see(VIEWERS["other rep"], name, payload, OWNER_TEAMS)
    assert may_see(VIEWERS["sales manager"], name, payload, OWNER_TEAMS)
    assert not may_see(VIEWERS["other team's manager"], name, payload, OWNER_TEAMS)


TICKET_EVENTS = sorted(name for name in EXPECTED if name.startswith("service_desk.ticket."))


@pytest.mark.parametrize("name", TICKET_EVENTS)
def test_every_ticket_event_reaches_every_agent_whoever_owns_the_customer(name):
    for owner in (OWNER, "someone-else", None):
        payload = {**contract(name).payload, "customer_owner_id": owner}
        assert may_see(viewer(["service_agent"], "agent-9"), name, payload)
        assert may_see(viewer(["service_manager"], "lead-9"), name, payload)


def test_a_ticket_event_about_no_one_reaches_no_sales_manager_whatever_teams_were_stored():
    payload = {"ticket_id": "t-1", "customer_id": "c-1", "customer_owner_id": None}
    manager = viewer(["sales_manager"], "manager-1", teams=["team-a"])
    assert not may_see(manager, "service_desk.ticket.replied.v1", payload, frozenset({"team-a"}))


@pytest.mark.parametrize("name", TICKET_EVENTS)
def test_no_relayed_ticket_payload_carries_a_message_s_text(name):
    assert not {"body", "note", "text", "internal_note"} & set(contract(name).payload)


def test_the_people_an_event_is_about_are_read_from_its_owner_fields():
    assert owners_of("sales.customer.owner_changed.v1", {"owner_id": "new", "previous_owner_id": "old"}) == ["new", "old"]
    assert owners_of("sales.customer.owner_changed.v1", {"owner_id": "new", "previous_owner_id": None}) == ["new"]
    assert owners_of("service_desk.ticket.opened.v1", {"customer_owner_id": OWNER}) == [OWNER]
    assert owners_of("leads.lead.created.v1", {"owner_id": OWNER}) == []


def test_a_previous_owner_still_sees_the_customer_change_hands():
    payload = {"owner_id": "new-owner", "previous_owner_id": OWNER}
    assert may_see(viewer(["sales_rep"], OWNER), "sales.customer.owner_changed.v1", payload)
    assert may_see(viewer(["sales_rep"], "new-owner"), "sales.customer.owner_changed.v1", payload)
    assert not may_see(viewer(["sales_rep"], "bystander"), "sales.customer.owner_changed.v1", payload)


def test_an_event_without_a_rule_reaches_nobody_not_even_an_admin():
    assert not may_see(VIEWERS["admin"], "sales.invoice.paid.v1", {})


def test_a_missing_owner_in_the_payload_does_not_make_everyone_the_owner():
    nobody_owned = {"owner_id": None}
    assert not may_see(viewer(["sales_rep"], "None"), "leads.lead.converted.v1", nobody_owned)
    assert not may_see(viewer(["sales_rep"], ""), "leads.lead.converted.v1", {})
    assert not may_see(viewer(["sales_rep"], "None"), "leads.reminder.due.v1", nobody_owned)
    assert not may_see(viewer(["sales_rep"], ""), "leads.reminder.due.v1", {})
