"""Which fold shapes share one upsert (facts.merge_shapes), and what the rows of a shared one carry.

That a shared statement leaves what separate ones would is tested on PostgreSQL against applying the events
one by one (tests/integration/test_set_based_projection.py); these pin down the choice itself.
"""
from datetime import datetime, timedelta, timezone

from crm_shared.envelope import Envelope, format_time
from crm_shared.testing import contract_with
from reporting import projections
from reporting.db import fact_leads, fact_tickets
from reporting.projections.changes import Changes
from reporting.projections.facts import Fold, fact_groups, merge_shapes

START = datetime(2026, 11, 27, 8, tzinfo=timezone.utc)


def lead_event(name: str, lead: int, minutes: int, **payload) -> Envelope:
    envelope = contract_with(name, lead_id=f"1ead{lead:04x}-0000-4000-8000-000000000000", **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": format_time(START + timedelta(minutes=minutes))})


def first_round(changes: Changes, table) -> dict:
    shapes: dict = {}
    for folds in changes._folds[table].values():
        shapes.setdefault(folds[0].shape(), []).append(folds[0].row)
    return shapes


def fold(table, key, at=START, state=None, guarded=None, first=None, earliest=None, latest=None, add=None, defaults=None):
    groups = fact_groups(table, state or {}, guarded or {})
    return Fold(table, key, at, groups, first or {}, earliest or {}, latest or {}, add or {}, defaults or {})


def test_the_lead_events_of_a_batch_fold_to_many_shapes_and_share_one_statement():
    changes = Changes()
    events = [
        lead_event("leads.lead.created.v1", 1, 0, campaign=None),
        lead_event("leads.lead.created.v1", 2, 0, campaign="spring"),
        lead_event("leads.lead.claimed.v1", 3, 5),
        lead_event("leads.lead.returned.v1", 4, 5),
        lead_event("leads.lead.converted.v1", 5, 9),
        lead_event("leads.follow_up.logged.v1", 6, 7),
        lead_event("leads.lead.created.v1", 7, 0),
        lead_event("leads.follow_up.logged.v1", 7, 3),
    ]
    for envelope in events:
        projections.apply(envelope, changes)
    shapes = first_round(changes, fact_leads)
    assert len(shapes) >= 6

    merged = merge_shapes(fact_leads, ("lead_id",), shapes)

    assert len(merged) == 1
    (columns, guards, ops), rows = merged[0]
    assert [row["lead_id"] for row in rows] == sorted(row["lead_id"] for row in rows)
    assert all(tuple(sorted(row)) == columns for row in rows)
    by_lead = {row["lead_id"][:8]: row for row in rows}
    # What a row carries for an update only other rows make: a value the update leaves alone.
    assert dict(ops)["follow_ups"] == "add" and by_lead["1ead0003"]["follow_ups"] == 0
    assert dict(ops)["claimed_at"] == "latest" and by_lead["1ead0006"]["claimed_at"] is None
    assert set(dict(guards)["state_at"]) == {"owner_id", "pool_id", "status"} and by_lead["1ead0006"]["state_at"] is None


def test_a_guard_over_other_columns_keeps_its_own_statement():
    # A merged lead's event sets only its status under state_at: which columns a stored row takes depends on
    # whose time wins, so it cannot share an update that sets owner and pool under the same guard.
    claimed = fold(fact_leads, {"lead_id": "a"}, state={"status": "claimed", "owner_id": "o", "pool_id": None},
                   defaults={"status": "pool"})
    merged = fold(fact_leads, {"lead_id": "b"}, state={"status": "merged"}, defaults={"status": "merged"})
    shapes = {claimed.shape(): [claimed.row], merged.shape(): [merged.row]}

    assert len(merge_shapes(fact_leads, ("lead_id",), shapes)) == 2


def test_a_column_taken_two_ways_keeps_two_statements():
    latest = fold(fact_tickets, {"ticket_id": "a"}, latest={"resolved_at": START}, defaults={"status": "new"})
    earliest = fold(fact_tickets, {"ticket_id": "b"}, earliest={"resolved_at": START}, defaults={"status": "new"})
    shapes = {latest.shape(): [latest.row], earliest.shape(): [earliest.row]}

    assert len(merge_shapes(fact_tickets, ("ticket_id",), shapes)) == 2


def test_a_row_without_a_guarded_group_shares_its_update_with_no_time_for_it():
    # `status` only inserted by one row (its default) but set under state_at by the other: the first row's
    # state_at is left empty, so on a stored row the update does not take its default for a new state.
    inserted_only = fold(fact_tickets, {"ticket_id": "a"}, add={"reopened": 1}, defaults={"status": "new"})
    stated = fold(fact_tickets, {"ticket_id": "b"}, state={"status": "open"}, add={"reopened": 1}, defaults={"status": "new"})
    shapes = {inserted_only.shape(): [inserted_only.row], stated.shape(): [stated.row]}
    merged = merge_shapes(fact_tickets, ("ticket_id",), shapes)
    # Shared: the first row has no state_at time, so the update leaves its status alone.
    assert len(merged) == 1
    (_, guards, _), rows = merged[0]
    assert dict(guards) == {"state_at": ("status",)}
    assert [row["state_at"] for row in rows] == [None, START]


def test_a_row_that_cannot_pass_a_neutral_value_keeps_its_own_statement():
    # A sum cannot be padded with NULL (stored + NULL is NULL): a row with no count keeps its own statement.
    no_count = fold(fact_tickets, {"ticket_id": "c"}, state={"status": "open"}, add={"reopened": None},
                    defaults={"status": "new"})
    counted = fold(fact_tickets, {"ticket_id": "d"}, add={"reopened": 1}, defaults={"status": "new"})
    shapes = {no_count.shape(): [no_count.row], counted.shape(): [counted.row]}
    assert len(merge_shapes(fact_tickets, ("ticket_id",), shapes)) == 2


def test_an_insert_that_updates_nothing_is_not_turned_into_an_update():
    nothing = fold(fact_tickets, {"ticket_id": "a"}, defaults={"status": "new"})
    update = fold(fact_tickets, {"ticket_id": "b"}, add={"reopened": 1}, defaults={"status": "new"})
    shapes = {nothing.shape(): [nothing.row], update.shape(): [update.row]}

    assert len(merge_shapes(fact_tickets, ("ticket_id",), shapes)) == 2
