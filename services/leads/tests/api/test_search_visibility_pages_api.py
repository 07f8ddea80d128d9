"""A rep's and a sales manager's search pages: their pools' leads, their own and their teams', each lead once.

On PostgreSQL these searches fetch each part of what the reader sees on its own and merge the parts
(leads/search_repository.py); the pages must still come in the sort's order with every lead exactly once.
"""
import pytest

from leads import search_repository

SEARCH = "/api/v1/leads/search"
LEADS = "/api/v1/leads"
SORTS = {"-created_at": ("created_at", True), "created_at": ("created_at", False),
         "company": ("company", False), "-company": ("company", True)}


@pytest.fixture
def people(tokens, in_directory):
    """rep-a and rep-c in team-a under manager-a; rep-b in team-b."""
    for user, roles, team in (("rep-a", ["sales_rep"], "team-a"), ("rep-c", ["sales_rep"], "team-a"),
                              ("rep-b", ["sales_rep"], "team-b"), ("manager-a", ["sales_manager"], "team-a")):
        in_directory(user, roles, [team])
    return {user: tokens.headers(user, roles, user, teams=[team])
            for user, roles, team in (("rep-a", ["sales_rep"], "team-a"), ("rep-c", ["sales_rep"], "team-a"),
                                      ("rep-b", ["sales_rep"], "team-b"),
                                      ("manager-a", ["sales_manager"], "team-a"))}


@pytest.fixture
def owned(client, admin, people):
    """Company name -> owner (None: still in the lead pool); names repeat so the id breaks ties in company order."""
    plan = [None, "rep-a", "rep-b", "manager-a", "rep-c", None, "rep-a", "rep-b", "rep-c", "manager-a", None,
            "rep-a", None, "rep-b"]
    owners = {}
    for number, owner in enumerate(plan):
        company = f"Branch {number % 5}"
        response = client.post(LEADS, json={"company": company, "contact_name": "Wang Fang", "channel": "web",
                                             "allow_duplicate": True}, headers=admin)
        assert response.status_code == 201, response.json
        if owner:
            claimed = client.post(f"{LEADS}/{response.json['id']}/claim", headers=people[owner])
            assert claimed.status_code == 200, claimed.json
        owners[response.json["id"]] = owner
    return owners


def every_page(client, headers, **query):
    pages, cursor = [], None
    while True:
        response = client.get(SEARCH, query_string={**query, "limit": 2, **({"cursor": cursor} if cursor else {})},
                              headers=headers)
        assert response.status_code == 200, response.json
        pages.append(response.json)
        cursor = response.json["next_cursor"]
        if not cursor:
            return pages


def assert_in_order(items, sort):
    column, descending = SORTS[sort]
    keys = [(item[column], item["id"]) for item in items]
    assert keys == sorted(keys, reverse=descending)


@pytest.mark.parametrize("text", [{"q": "branch"}, {}], ids=["text", "no-text"])
@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("who, sees", [
    ("manager-a", {None, "manager-a", "rep-a", "rep-c"}),
    ("rep-a", {None, "rep-a"}),
])
def test_pages_hold_each_visible_lead_once_in_order(client, people, owned, who, sees, sort, text):
    pages = every_page(client, people[who], sort=sort, **text)
    items = [item for page in pages for item in page["items"]]
    expected = {lead_id for lead_id, owner in owned.items() if owner in sees}
    assert [item["id"] for item in items if item["id"] in expected] == [item["id"] for item in items]
    assert sorted(item["id"] for item in items) == sorted(expected)
    assert_in_order(items, sort)
    assert {page["total"] for page in pages} == {len(expected)}
    assert not any(page["total_is_estimate"] for page in pages)


@pytest.mark.parametrize("text", [{"q": "branch"}, {}], ids=["text", "no-text"])
@pytest.mark.parametrize("status, sees", [("claimed", {"manager-a", "rep-a", "rep-c"}), ("pool", {None})])
def test_a_status_filter_keeps_the_same_leads_of_what_the_manager_sees(client, people, owned, status, sees, text):
    pages = every_page(client, people["manager-a"], status=status, **text)
    items = [item for page in pages for item in page["items"]]
    assert sorted(item["id"] for item in items) == sorted(lead_id for lead_id, owner in owned.items() if owner in sees)
    assert_in_order(items, "-created_at")


@pytest.fixture
def budgets(monkeypatch) -> list[int]:
    """The time budgets (ms) the search ran statements under, in order (LeadSearch._within_budget)."""
    recorded: list[int] = []
    within_budget = search_repository.LeadSearch._within_budget

    def recording(self, run, budget_ms):
        recorded.append(budget_ms)
        return within_budget(self, run, budget_ms)

    monkeypatch.setattr(search_repository.LeadSearch, "_within_budget", recording)
    return recorded


def test_far_above_the_cap_the_planners_estimate_answers_without_a_count(postgresql_only, client, people, owned,
                                                                        monkeypatch, budgets):
    # A second page: a first page that sorted every match has counted them already.
    first = client.get(SEARCH, query_string={"q": "branch", "limit": 2}, headers=people["manager-a"]).json
    second = {"q": "branch", "limit": 2, "cursor": first["next_cursor"]}
    monkeypatch.setattr(search_repository, "COUNT_NOT_TRIED_ABOVE", 0)
    budgets.clear()
    page = client.get(SEARCH, query_string=second, headers=people["manager-a"]).json
    assert page["total_is_estimate"] is True and page["total"] >= 3
    assert search_repository.COUNT_BUDGET_MS not in budgets
    monkeypatch.setattr(search_repository, "COUNT_NOT_TRIED_ABOVE", 10**9)
    page = client.get(SEARCH, query_string=second, headers=people["manager-a"]).json
    visible = sum(owner in {None, "manager-a", "rep-a", "rep-c"} for owner in owned.values())
    assert (page["total"], page["total_is_estimate"]) == (visible, False)
    assert (first["total"], first["total_is_estimate"]) == (visible, False)
    assert search_repository.COUNT_BUDGET_MS in budgets


def test_a_count_with_free_text_the_planner_prices_beyond_its_budget_is_not_tried(postgresql_only, client, people,
                                                                                  owned, monkeypatch, budgets):
    visible = sum(owner in {None, "manager-a", "rep-a", "rep-c"} for owner in owned.values())
    monkeypatch.setattr(search_repository, "TEXT_COUNT_NOT_TRIED_COSTLIER", 0)
    cursors = {}
    for query in ({"q": "branch"}, {}):
        first = client.get(SEARCH, query_string={**query, "limit": 2}, headers=people["manager-a"]).json
        second = cursors[bool(query)] = {**query, "limit": 2, "cursor": first["next_cursor"]}
        budgets.clear()
        page = client.get(SEARCH, query_string=second, headers=people["manager-a"]).json
        if query:
            # Its estimate answers at once, never below what the pages showed.
            assert page["total_is_estimate"] is True and page["total"] >= 3
            assert search_repository.COUNT_BUDGET_MS not in budgets
        else:
            # Without free text the cost does not decide: it is counted.
            assert (page["total"], page["total_is_estimate"]) == (visible, False)
            assert search_repository.COUNT_BUDGET_MS in budgets
    monkeypatch.setattr(search_repository, "TEXT_COUNT_NOT_TRIED_COSTLIER", 10**9)
    budgets.clear()
    page = client.get(SEARCH, query_string=cursors[True], headers=people["manager-a"]).json
    assert (page["total"], page["total_is_estimate"]) == (visible, False)
    assert search_repository.COUNT_BUDGET_MS in budgets
