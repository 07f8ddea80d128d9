"""The live stream over real HTTP: each viewer gets only its events, keepalives, and Last-Event-ID resume."""
import json

import pytest

from crm_shared.testing import contract_with
from gateway.handlers import HANDLERS

OWNER = "7d0e1c2b-0000-4000-8000-000000000003"  # the owner in the contract examples
OTHER_REP = "7d0e1c2b-0000-4000-8000-000000000004"


@pytest.fixture
def gateway(make_gateway, serve):
    app = make_gateway(CRM_LIVE_KEEPALIVE_SECONDS="0.3", CRM_LIVE_MAX_CLIENTS="6")
    return app, serve(app) + "/api/v1/live"


@pytest.fixture
def publish(uow_factory):
    """Record an event as the gateway worker does; returns the envelope."""

    def record(name, **payload):
        envelope = contract_with(name, **payload)
        with uow_factory() as uow:
            HANDLERS[name](envelope, uow)
            uow.commit()
        return envelope

    return record


def names_and_ids(events):
    return [(event["event"], event["id"]) for event in events]


def test_each_viewer_receives_exactly_the_events_it_may_see(gateway, tokens, sse, publish):
    _, url = gateway
    viewers = {
        "owner": tokens.headers(OWNER, ["sales_rep"]),
        "other rep": tokens.headers(OTHER_REP, ["sales_rep"]),
        "agent": tokens.headers("agent-1", ["service_agent"]),
        "executive": tokens.headers("exec-1", ["executive"]),
    }
    streams = {who: sse(url, headers) for who, headers in viewers.items()}
    for stream in streams.values():
        stream.wait_for_comment("connected")

    created = publish("leads.lead.created.v1")
    claimed = publish("leads.lead.claimed.v1")
    converted = publish("leads.lead.converted.v1")
    customer = publish("sales.customer.created.v1")
    ticket = publish("service_desk.ticket.opened.v1")
    # Last events that tell each viewer "nothing more is coming": whatever it should not have seen
    # would have arrived before them.
    closing_pool = publish("leads.lead.created.v1")
    closing_customer = publish("sales.customer.created.v1", owner_id=OTHER_REP)

    expected = {
        "owner": [created, claimed, converted, customer, ticket, closing_pool],
        "other rep": [created, claimed, closing_pool, closing_customer],
        "agent": [customer, ticket, closing_customer],
        "executive": [customer, ticket, closing_customer],
    }
    for who, envelopes in expected.items():
        received = streams[who].events(len(envelopes))
        assert names_and_ids(received) == [(e.name, e.id) for e in envelopes], who
        assert json.loads(received[0]["data"]) == envelopes[0].to_dict()


@pytest.fixture
def east_and_west(add_user):
    """The contract examples' owner and another rep in team East; one rep in West. Returns the team ids."""
    owner = add_user("owner", roles=["sales_rep"], user_id=OWNER, team_names=["East"])
    add_user("other", roles=["sales_rep"], user_id=OTHER_REP, team_names=["East"])
    west_rep = add_user("westie", roles=["sales_rep"], team_names=["West"])
    return {"East": owner.teams[0].id, "West": west_rep.teams[0].id, "west rep": west_rep.id}


def test_pool_changes_reach_all_of_sales_and_reminders_only_their_owner(gateway, tokens, sse, publish, east_and_west):
    _, url = gateway
    viewers = {
        "owner": tokens.headers(OWNER, ["sales_rep"]),
        "other rep": tokens.headers(OTHER_REP, ["sales_rep"]),
        "manager": tokens.headers("boss", ["sales_manager"], teams=[east_and_west["East"]]),
        "west manager": tokens.headers("west-boss", ["sales_manager"], teams=[east_and_west["West"]]),
        "agent": tokens.headers("agent-1", ["service_agent"]),
    }
    streams = {who: sse(url, headers) for who, headers in viewers.items()}
    for stream in streams.values():
        stream.wait_for_comment("connected")

    returned = publish("leads.lead.returned.v1")
    recycled = publish("leads.lead.recycled.v1")
    distributed = publish("leads.lead.distributed.v1")
    reminder = publish("leads.reminder.due.v1")
    follow_up = publish("leads.follow_up.logged.v1")
    west_follow_up = publish("leads.follow_up.logged.v1", owner_id=east_and_west["west rep"])
    closing = publish("sales.customer.created.v1", owner_id=OTHER_REP)  # the last event for everyone here

    pool = [returned, recycled, distributed]
    expected = {
        "owner": [*pool, reminder, follow_up],
        "other rep": [*pool, closing],
        # A manager sees the follow-ups and customers of their own team's reps only.
        "manager": [*pool, follow_up, closing],
        "west manager": [*pool, west_follow_up],
        "agent": [closing],
    }
    for who, envelopes in expected.items():
        received = streams[who].events(len(envelopes))
        assert names_and_ids(received) == [(e.name, e.id) for e in envelopes], who
    # Nothing more arrives: the west manager's last event was the west follow-up, and the east
    # customer after it never came. A pool event published now is the next thing they get.
    last = publish("leads.lead.created.v1")
    assert names_and_ids(streams["west manager"].events(1)) == [(last.name, last.id)]


def test_a_deal_moving_or_changing_reaches_its_owner_and_their_team_s_managers_only(gateway, tokens, sse, publish,
                                                                                   east_and_west):
    _, url = gateway
    viewers = {
        "owner": tokens.headers(OWNER, ["sales_rep"]),
        "other rep": tokens.headers(OTHER_REP, ["sales_rep"]),
        "manager": tokens.headers("boss", ["sales_manager"], teams=[east_and_west["East"]]),
        "west manager": tokens.headers("west-boss", ["sales_manager"], teams=[east_and_west["West"]]),
        "executive": tokens.headers("exec-1", ["executive"]),
        "agent": tokens.headers("agent-1", ["service_agent"]),
    }
    streams = {who: sse(url, headers) for who, headers in viewers.items()}
    for stream in streams.values():
        stream.wait_for_comment("connected")

    moved = publish("sales.opportunity.stage_changed.v1")
    updated = publish("sales.opportunity.updated.v1")
    west_moved = publish("sales.opportunity.stage_changed.v1", owner_id=east_and_west["west rep"])
    # Last events that tell each viewer "nothing more is coming".
    closing_customer = publish("sales.customer.created.v1", owner_id=OTHER_REP)
    closing_pool = publish("leads.lead.created.v1")

    expected = {
        "owner": [moved, updated, closing_pool],
        # A rep of the same team does not see a colleague's deals.
        "other rep": [closing_customer, closing_pool],
        "manager": [moved, updated, closing_customer, closing_pool],
        "west manager": [west_moved, closing_pool],
        "executive": [moved, updated, west_moved, closing_customer],
        "agent": [closing_customer],
    }
    for who, envelopes in expected.items():
        received = streams[who].events(len(envelopes))
        assert names_and_ids(received) == [(e.name, e.id) for e in envelopes], who


def test_a_ticket_s_changes_reach_every_agent_and_only_the_rep_owning_its_customer(gateway, tokens, sse, publish,
                                                                                   east_and_west):
    _, url = gateway
    viewers = {
        "owner": tokens.headers(OWNER, ["sales_rep"]),
        "other rep": tokens.headers(OTHER_REP, ["sales_rep"]),
        "manager": tokens.headers("boss", ["sales_manager"], teams=[east_and_west["East"]]),
        "west manager": tokens.headers("west-boss", ["sales_manager"], teams=[east_and_west["West"]]),
        "agent": tokens.headers("agent-1", ["service_agent"]),
        "executive": tokens.headers("exec-1", ["executive"]),
    }
    streams = {who: sse(url, headers) for who, headers in viewers.items()}
    for stream in streams.values():
        stream.wait_for_comment("connected")

    replied = publish("service_desk.ticket.replied.v1", customer_owner_id=OWNER)
    west_breached = publish("service_desk.ticket.sla_breached.v1", customer_owner_id=east_and_west["west rep"])
    # No owner named: the desk's agents see it, no one in sales does.
    unowned = publish("service_desk.ticket.status_changed.v1", customer_owner_id=None)
    escalated = publish("service_desk.ticket.escalated.v1", customer_owner_id=None)
    closing_pool = publish("leads.lead.created.v1")  # the last event for everyone in sales
    closing_customer = publish("sales.customer.created.v1", owner_id=OTHER_REP)  # and for the rest

    expected = {
        "owner": [replied, closing_pool],
        "other rep": [closing_pool, closing_customer],
        "manager": [replied, closing_pool],
        "west manager": [west_breached, closing_pool],
        "agent": [replied, west_breached, unowned, escalated, closing_customer],
        "executive": [replied, west_breached, unowned, escalated, closing_customer],
    }
    for who, envelopes in expected.items():
        received = streams[who].events(len(envelopes))
        assert names_and_ids(received) == [(e.name, e.id) for e in envelopes], who


def test_the_owner_s_teams_are_stored_with_the_event_when_the_worker_records_it(publish, east_and_west, uow_factory):
    from sqlalchemy import select

    from gateway.db import live_events

    follow_up = publish("leads.follow_up.logged.v1")
    changed = publish("sales.customer.owner_changed.v1", owner_id=east_and_west["west rep"], previous_owner_id=OWNER)
    pool = publish("leads.lead.created.v1")
    unknown_owner = publish("leads.follow_up.logged.v1", owner_id="nobody-we-know")
    with uow_factory() as uow:
        stored = dict(uow.session.execute(select(live_events.c.event_id, live_events.c.owner_team_ids)).all())
    assert stored[follow_up.id] == [east_and_west["East"]]
    assert stored[changed.id] == sorted([east_and_west["East"], east_and_west["West"]])
    assert stored[pool.id] == [] and stored[unknown_owner.id] == []


def test_a_keepalive_comment_comes_while_nothing_happens(gateway, tokens, sse):
    _, url = gateway
    stream = sse(url, tokens.headers("rep", ["sales_rep"]))
    stream.wait_for_comment("connected")
    stream.wait_for_comment("keepalive", timeout=3)


def test_the_stream_is_an_event_stream_that_is_not_cached(gateway, tokens, sse):
    _, url = gateway
    stream = sse(url, tokens.headers("rep", ["sales_rep"]))
    assert stream.response.status_code == 200
    assert stream.response.headers["Content-Type"].startswith("text/event-stream")
    assert "no-cache" in stream.response.headers["Cache-Control"]


def test_a_viewer_that_reconnects_with_last_event_id_gets_what_it_missed_and_then_goes_on(
    gateway, tokens, sse, publish, poll, east_and_west
):
    app, url = gateway
    manager = tokens.headers("boss", ["sales_manager"], teams=[east_and_west["East"]])
    first = sse(url, manager)
    first.wait_for_comment("connected")
    seen = publish("leads.lead.created.v1")
    assert names_and_ids(first.events(1)) == [(seen.name, seen.id)]
    first.close()
    poll(lambda: app.extensions["crm.live"].client_count == 0, what="the first stream to be let go")

    missed = [
        publish("leads.lead.claimed.v1"),
        publish("service_desk.ticket.opened.v1"),  # the customer of a rep in the manager's team
    ]
    publish("sales.customer.created.v1", owner_id=east_and_west["west rep"])  # another team's: left out
    missed.append(publish("sales.customer.created.v1", owner_id=OTHER_REP))
    second = sse(url, {**manager, "Last-Event-ID": seen.id})
    assert names_and_ids(second.events(len(missed))) == [(e.name, e.id) for e in missed]
    later = publish("leads.lead.converted.v1")
    assert names_and_ids(second.events(1)) == [(later.name, later.id)]


def test_resuming_leaves_out_what_the_viewer_may_not_see(gateway, tokens, sse, publish):
    _, url = gateway
    agent = tokens.headers("agent-1", ["service_agent"])
    start = publish("service_desk.ticket.opened.v1")
    publish("leads.lead.created.v1")  # the pool is not the service desk's
    customer = publish("sales.customer.created.v1")
    stream = sse(url, {**agent, "Last-Event-ID": start.id})
    assert names_and_ids(stream.events(1)) == [(customer.name, customer.id)]


def test_an_unknown_last_event_id_starts_from_now(gateway, tokens, sse, publish):
    _, url = gateway
    publish("leads.lead.created.v1")
    stream = sse(url, {**tokens.headers("rep", ["sales_rep"]), "Last-Event-ID": "00000000-0000-4000-8000-000000000000"})
    stream.wait_for_comment("connected")
    fresh = publish("leads.lead.claimed.v1")
    assert names_and_ids(stream.events(1)) == [(fresh.name, fresh.id)]


def test_the_stream_needs_a_valid_token(gateway, sse):
    _, url = gateway
    missing = sse(url, {})
    assert missing.response.status_code == 401
    assert missing.response.json()["code"] == "authentication_required"
    bad = sse(url, {"Authorization": "Bearer nonsense"})
    assert bad.response.status_code == 401
    assert bad.response.json()["code"] == "invalid_token"


def test_streams_beyond_the_limit_of_a_process_are_refused_with_503(make_gateway, serve, tokens, sse):
    app = make_gateway(CRM_LIVE_MAX_CLIENTS="1")
    url = serve(app) + "/api/v1/live"
    first = sse(url, tokens.headers("rep", ["sales_rep"]))
    first.wait_for_comment("connected")
    second = sse(url, tokens.headers("rep", ["sales_rep"]))
    assert second.response.status_code == 503
    assert second.response.json()["code"] == "live_busy"


def test_a_stream_ends_when_its_token_expires(gateway, settings, sse):
    from crm_shared.auth import Identity, TokenIssuer

    _, url = gateway
    issuer = TokenIssuer(settings.common.jwt_key_dir, "crm-gateway", "crm", ttl_seconds=1)
    token = issuer.issue(Identity("rep", "rep", frozenset(["sales_rep"])))
    stream = sse(url, {"Authorization": f"Bearer {token}"})
    stream.wait_for_comment("connected")
    kind = None
    while kind != "closed":
        kind, _ = stream.next_item(timeout=5)
