"""Drafting and publishing article versions, category trees, and solutions becoming articles."""
from datetime import datetime, timedelta, timezone

import pytest

from service_desk.kb import DRAFT, PUBLISHED, SUPERSEDED, Article, NoDraft, clean_tags, would_cycle
from service_desk.solutions import Solution, SolutionAlreadyPromoted, TicketNotResolved

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def article(**changes) -> Article:
    fields = {"title": "Printer offline", "body": "Restart it.", "tags": ["printer"], "visibility": "internal",
              "category_id": None, "author": "agent-1", "now": NOW, **changes}
    return Article.write(**fields)


def test_a_new_article_is_a_draft_with_no_current_version():
    written = article()
    assert written.status == DRAFT and written.current is None
    assert written.draft.number == 1 and written.shown.title == "Printer offline"


def test_editing_a_published_article_starts_a_new_draft_and_the_published_text_stays_current():
    written = article()
    written.publish("manager-1", NOW)
    written.edit({"body": "Restart it, then check the cable."}, "agent-2", NOW + timedelta(hours=1))
    assert written.status == PUBLISHED
    assert (written.current.number, written.current.body) == (1, "Restart it.")
    assert (written.draft.number, written.draft.body, written.draft.title) == (
        2, "Restart it, then check the cable.", "Printer offline")
    assert written.draft.created_by == "agent-2" and written.draft.published_at is None


def test_editing_an_open_draft_changes_it_instead_of_adding_versions():
    written = article()
    written.edit({"title": "Printer is offline"}, "agent-1", NOW)
    written.edit({"tags": ["printer", " printer ", "network"]}, "agent-1", NOW)
    assert len(written.versions) == 1
    assert (written.draft.title, written.draft.tags) == ("Printer is offline", ("printer", "network"))


def test_publishing_makes_the_draft_current_and_keeps_the_replaced_version_as_superseded():
    written = article()
    written.publish("manager-1", NOW)
    written.edit({"body": "New steps."}, "agent-1", NOW)
    written.publish("manager-1", NOW + timedelta(days=1))
    assert [(v.number, v.state) for v in written.versions] == [(1, SUPERSEDED), (2, PUBLISHED)]
    assert written.current.body == "New steps." and written.draft is None
    with pytest.raises(NoDraft):
        written.publish("manager-1", NOW)


def test_changing_only_the_category_does_not_start_a_draft():
    written = article()
    written.publish("manager-1", NOW)
    written.edit({"category_id": "cat-1"}, "agent-1", NOW)
    assert written.category_id == "cat-1" and written.draft is None


def test_a_blank_title_or_an_unknown_visibility_is_refused():
    with pytest.raises(ValueError):
        article(title="  ")
    with pytest.raises(ValueError):
        article(visibility="everyone")
    with pytest.raises(ValueError):
        clean_tags(["x" * 51])


def test_a_category_cannot_go_under_itself_or_its_descendants():
    parents = {"root": None, "child": "root", "grandchild": "child"}
    assert would_cycle("root", "grandchild", parents)
    assert would_cycle("child", "child", parents)
    assert not would_cycle("grandchild", "root", parents)
    assert not would_cycle("child", None, parents)


def solution(status="closed") -> Solution:
    return Solution.record(status, ticket_id="t-1", summary=" Replace the toner ", steps=["Open the tray", " ", "Swap"],
                           author="agent-1", now=NOW)


def test_a_solution_is_recorded_only_for_a_resolved_or_closed_ticket():
    assert solution("resolved").summary == "Replace the toner"
    assert solution().steps == ("Open the tray", "Swap")
    with pytest.raises(TicketNotResolved):
        solution("open")


def test_a_promoted_solution_becomes_a_draft_prefilled_from_it_and_naming_it():
    draft = solution().draft_article(category_id=None, visibility="public", author="agent-2", now=NOW)
    assert draft.status == DRAFT and draft.source_solution_id is not None
    assert (draft.draft.title, draft.draft.body, draft.draft.visibility) == (
        "Replace the toner", "1. Open the tray\n2. Swap", "public")
    promoted = Solution(**{**solution().__dict__, "article_id": draft.id})
    with pytest.raises(SolutionAlreadyPromoted):
        promoted.draft_article(category_id=None, visibility="internal", author="agent-2", now=NOW)
