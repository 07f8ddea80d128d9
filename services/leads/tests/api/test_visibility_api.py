"""Who sees which lead, on every endpoint: admins all, sales managers their teams', reps their own and their pools'."""
import csv
import io

import pytest

from leads.pools import DEFAULT_LEAD_POOL_ID

LEADS = "/api/v1/leads"


@pytest.fixture
def people(tokens, in_directory):
    """Two teams as the gateway announced them: rep-a in team-a under manager-a, rep-b in team-b under manager-b."""
    in_directory("rep-a", ["sales_rep"], ["team-a"])
    in_directory("rep-b", ["sales_rep"], ["team-b"])
    in_directory("manager-a", ["sales_manager"], ["team-a"])
    in_directory("manager-b", ["sales_manager"], ["team-b"])
    return {
        "rep_a": tokens.headers("rep-a", ["sales_rep"], "rep.a", teams=["team-a"]),
        "rep_b": tokens.headers("rep-b", ["sales_rep"], "rep.b", teams=["team-b"]),
        "manager_a": tokens.headers("manager-a", ["sales_manager"], "manager.a", teams=["team-a"]),
        "manager_b": tokens.headers("manager-b", ["sales_manager"], "manager.b", teams=["team-b"]),
    }


@pytest.fixture
def leads(client, admin, people):
    """One lead claimed by each rep and by manager-a, and one left in the lead pool."""
    made = {}
    for key, company in (("a", "Visibility Alpha"), ("b", "Visibility Bravo"), ("m", "Visibility Mike"),
                         ("pool", "Visibility Pool")):
        response = client.post(LEADS, json={"company": company, "contact_name": "Wang Fang", "phone": "13812345678",
                                            "channel": "web", "allow_duplicate": True}, headers=admin)
        assert response.status_code == 201, response.json
        made[key] = response.json
    for key, who in (("a", "rep_a"), ("b", "rep_b"), ("m", "manager_a")):
        assert client.post(f"{LEADS}/{made[key]['id']}/claim", headers=people[who]).status_code == 200
    return made


def companies(response) -> list[str]:
    assert response.status_code == 200, response.json
    return sorted(item["company"] for item in response.json["items"])


def exported(response) -> list[str]:
    assert response.status_code == 200, response.data[:300]
    return sorted(row["company"] for row in csv.DictReader(io.StringIO(response.data.decode("utf-8")[1:])))


def test_a_sales_manager_sees_their_own_their_teams_and_the_pools_leads_in_the_list_search_and_export(
        client, people, leads):
    manager_a = people["manager_a"]
    mine = ["Visibility Alpha", "Visibility Mike", "Visibility Pool"]
    listed = client.get(LEADS, headers=manager_a)
    assert companies(listed) == mine and listed.json["total"] == 3
    assert companies(client.get(f"{LEADS}/search", query_string={"q": "visibility"}, headers=manager_a)) == mine
    assert exported(client.get(f"{LEADS}/export", query_string={"q": "visibility"}, headers=manager_a)) == mine
    assert companies(client.get(LEADS, headers=people["manager_b"])) == ["Visibility Bravo", "Visibility Pool"]


def test_pages_and_counts_hold_only_what_the_manager_may_see(client, people, leads):
    first = client.get(LEADS, query_string={"limit": 2}, headers=people["manager_a"]).json
    second = client.get(LEADS, query_string={"limit": 2, "offset": 2}, headers=people["manager_a"]).json
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    searched = client.get(f"{LEADS}/search", query_string={"q": "visibility", "limit": 2}, headers=people["manager_a"])
    assert searched.json["total"] == 3 and searched.json["next_cursor"] is not None


@pytest.mark.parametrize("path", ["", "/timeline", "/follow-ups", "/ownership-history"])
def test_another_teams_lead_is_not_found_for_a_manager_and_their_own_teams_is(client, people, leads, path):
    assert client.get(f"{LEADS}/{leads['b']['id']}{path}", headers=people["manager_a"]).status_code == 404
    assert client.get(f"{LEADS}/{leads['a']['id']}{path}", headers=people["manager_a"]).status_code == 200
    assert client.get(f"{LEADS}/{leads['b']['id']}{path}", headers=people["manager_b"]).status_code == 200


def test_a_manager_cannot_act_on_another_teams_lead_and_nothing_changes(client, people, leads, admin):
    manager_a, other = people["manager_a"], leads["b"]["id"]
    before = client.get(f"{LEADS}/{other}", headers=admin).json
    follow_up = {"kind": "call", "outcome": "Talked"}
    for method, path, body in (("post", "/follow-ups", follow_up), ("post", "/reveal", None),
                               ("post", "/return", {"reason": "unreachable"}), ("post", "/convert", None)):
        response = getattr(client, method)(f"{LEADS}/{other}{path}", json=body, headers=manager_a)
        assert (path, response.status_code, response.json["code"]) == (path, 404, "not_found")
    assert client.get(f"{LEADS}/{other}", headers=admin).json == before
    assert client.get(f"{LEADS}/{other}/follow-ups", headers=admin).json["items"] == []


def test_a_manager_logs_a_follow_up_on_their_teams_lead_but_cannot_return_or_convert_it(client, people, leads):
    lead = leads["a"]["id"]
    logged = client.post(f"{LEADS}/{lead}/follow-ups", json={"kind": "call", "outcome": "Talked"},
                         headers=people["manager_a"])
    assert logged.status_code == 201, logged.json
    for path, body in (("/return", {"reason": "unreachable"}), ("/convert", None)):
        response = client.post(f"{LEADS}/{lead}{path}", json=body, headers=people["manager_a"])
        assert (path, response.status_code, response.json["code"]) == (path, 403, "not_lead_owner")


def test_an_admin_sees_every_lead(client, admin, leads):
    assert client.get(LEADS, headers=admin).json["total"] == 4
    for lead in leads.values():
        assert client.get(f"{LEADS}/{lead['id']}", headers=admin).status_code == 200


def test_a_rep_still_sees_only_their_own_and_the_pools_leads(client, people, leads):
    assert companies(client.get(LEADS, headers=people["rep_a"])) == ["Visibility Alpha", "Visibility Pool"]
    assert client.get(f"{LEADS}/{leads['m']['id']}", headers=people["rep_a"]).status_code == 404


def test_a_manager_without_teams_sees_only_their_own_and_the_pools_leads(client, tokens, leads):
    lonely = tokens.headers("manager-c", ["sales_manager"], "manager.c")
    assert companies(client.get(LEADS, headers=lonely)) == ["Visibility Pool"]


def test_a_rep_moved_to_another_team_takes_their_leads_to_that_teams_manager(client, people, leads, in_directory):
    in_directory("rep-b", ["sales_rep"], ["team-a"])
    assert "Visibility Bravo" in companies(client.get(LEADS, headers=people["manager_a"]))
    assert client.get(f"{LEADS}/{leads['b']['id']}", headers=people["manager_b"]).status_code == 404


def test_an_old_token_does_not_undo_what_the_directory_says(client, tokens, people, leads):
    stale = tokens.headers("rep-a", ["sales_rep"], "rep.a", teams=["team-b"])
    assert client.get(LEADS, headers=stale).status_code == 200  # the service would learn from a token here
    assert client.get(f"{LEADS}/{leads['a']['id']}", headers=people["manager_a"]).status_code == 200
    assert client.get(f"{LEADS}/{leads['a']['id']}", headers=people["manager_b"]).status_code == 404


def test_a_token_still_introduces_someone_the_directory_has_not_heard_of(client, tokens, admin, new_lead):
    rep = tokens.headers("rep-z", ["sales_rep"], "rep.z", teams=["team-z"])
    manager = tokens.headers("manager-z", ["sales_manager"], "manager.z", teams=["team-z"])
    lead = client.post(LEADS, json=new_lead, headers=admin).json
    assert client.post(f"{LEADS}/{lead['id']}/claim", headers=rep).status_code == 200
    assert client.get(f"{LEADS}/{lead['id']}", headers=manager).status_code == 200


def test_a_team_counts_a_member_known_only_from_the_directory(client, admin, people, leads, in_directory):
    in_directory("rep-new", ["sales_rep"], ["team-a"])
    assert client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json={"rules": {"max_team_leads": 3}},
                        headers=admin).status_code == 200
    # rep-new never sent a token, yet can be given a lead and counts towards team-a's capacity.
    response = client.post(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/distribute",
                           json={"lead_ids": [leads["pool"]["id"]], "owner_id": "rep-new"}, headers=admin)
    assert response.status_code == 200, response.json
    extra = client.post(LEADS, json={"company": "Visibility Extra", "contact_name": "Li", "channel": "web",
                                     "allow_duplicate": True}, headers=admin).json
    refused = client.post(f"{LEADS}/{extra['id']}/claim", headers=people["rep_a"])
    assert (refused.status_code, refused.json["code"]) == (403, "private_capacity_reached")
    assert "Visibility Pool" in companies(client.get(LEADS, headers=people["manager_a"]))


def test_a_disabled_user_is_given_no_leads(client, admin, leads, in_directory):
    in_directory("rep-b", ["sales_rep"], ["team-b"], active=False)
    response = client.post(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/distribute",
                           json={"lead_ids": [leads["pool"]["id"]], "owner_id": "rep-b"}, headers=admin)
    assert (response.status_code, response.json["code"]) == (403, "not_a_pool_member")


def test_a_sales_manager_cannot_merge_another_teams_lead_and_nothing_changes(client, people, leads, admin):
    refused = client.post(f"{LEADS}/{leads['a']['id']}/merge", json={"other_id": leads["b"]["id"]},
                          headers=people["manager_a"])
    assert refused.status_code == 404, refused.json
    assert client.get(f"{LEADS}/{leads['b']['id']}", headers=admin).json["status"] == "claimed"
    allowed = client.post(f"{LEADS}/{leads['a']['id']}/merge", json={"other_id": leads["m"]["id"]},
                          headers=people["manager_a"])
    assert allowed.status_code == 200, allowed.json
