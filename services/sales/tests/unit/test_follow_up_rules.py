"""The rules of a customer's follow-ups, and the id of an opportunity asked for from a ticket."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crm_shared.errors import APIError
from sales.follow_ups import KINDS, FollowUp, check_opportunity_of_customer
from sales.ticket_handlers import opportunity_id_for_ticket_request

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def record(**changes) -> FollowUp:
    fields = {"customer_id": "c-1", "author_id": "rep-1", "kind": "call", "content": "Talked about the rollout",
              "now": NOW, **changes}
    return FollowUp.record(**fields)


def test_a_follow_up_keeps_its_author_kind_content_and_plan():
    follow_up = record(kind="visit", content="  Visited the plant  ", outcome="Interested", next_step="Send a quote",
                       next_contact_at=NOW + timedelta(days=3), opportunity_id="o-1")
    assert (follow_up.author_id, follow_up.kind, follow_up.content, follow_up.recorded_at) == (
        "rep-1", "visit", "Visited the plant", NOW)
    assert (follow_up.outcome, follow_up.next_step, follow_up.opportunity_id) == ("Interested", "Send a quote", "o-1")


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_contact_may_be_recorded(kind):
    assert record(kind=kind).kind == kind


def test_an_unknown_kind_is_refused():
    with pytest.raises(APIError) as refused:
        record(kind="fax")
    assert (refused.value.status, refused.value.errors) == (422, {"kind": [f"Must be one of: {', '.join(KINDS)}."]})


@pytest.mark.parametrize("content", ["", "   "])
def test_a_follow_up_says_what_the_contact_was_about(content):
    with pytest.raises(APIError) as refused:
        record(content=content)
    assert "content" in refused.value.errors


@pytest.mark.parametrize("when", [NOW, NOW - timedelta(minutes=1)])
def test_the_next_contact_lies_in_the_future(when):
    with pytest.raises(APIError) as refused:
        record(next_contact_at=when)
    assert "next_contact_at" in refused.value.errors


def test_blank_outcome_and_next_step_are_kept_as_none():
    follow_up = record(outcome="  ", next_step="")
    assert (follow_up.outcome, follow_up.next_step) == (None, None)


def test_a_follow_up_may_name_only_an_opportunity_of_its_own_customer():
    check_opportunity_of_customer("c-1", "c-1")
    for other in ("c-2", None):
        with pytest.raises(APIError) as refused:
            check_opportunity_of_customer(other, "c-1")
        assert refused.value.status == 422 and "opportunity_id" in refused.value.errors


def test_one_ticket_request_always_names_the_same_opportunity_and_a_later_request_another():
    first = opportunity_id_for_ticket_request("t-1", NOW)
    assert first == opportunity_id_for_ticket_request("t-1", NOW)
    assert first != opportunity_id_for_ticket_request("t-1", NOW + timedelta(seconds=1))
    assert first != opportunity_id_for_ticket_request("t-2", NOW)
