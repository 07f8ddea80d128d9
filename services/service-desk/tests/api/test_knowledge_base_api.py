"""The knowledge base, solutions and ticket suggestions through the Flask test client on a real, migrated database."""
from __future__ import annotations

import uuid

import pytest

from crm_shared.testing import contract


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture
def manager(headers):
    return headers("manager-1", "service_manager")


@pytest.fixture
def write(client, agent):
    """Write an article as an agent; returns the response body (with `etag`)."""

    def written(title="Printer offline", body="Restart it.", **fields) -> dict:
        response = client.post("/api/v1/kb/articles", json={"title": title, "body": body, **fields}, headers=agent)
        assert response.status_code == 201, response.json
        return {**response.json, "etag": response.headers["ETag"]}

    return written


@pytest.fixture
def publish(client, manager):
    def published(article: dict) -> dict:
        response = client.post(f"/api/v1/kb/articles/{article['id']}/publish",
                               headers={**manager, "If-Match": article["etag"]})
        assert response.status_code == 200, response.json
        return {**response.json, "etag": response.headers["ETag"]}

    return published


@pytest.fixture
def published_article(write, publish):
    return lambda *args, **fields: publish(write(*args, **fields))


@pytest.fixture
def ticket(client, agent, customer_created):
    """Open a ticket for a new customer; returns its id."""

    def opened(subject="Help", description=None, owner_id="rep-1") -> str:
        customer_id = customer_created(owner_id=owner_id)
        response = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": subject,
                                                        "description": description}, headers=agent)
        assert response.status_code == 201, response.json
        return response.json["id"]

    return opened


def search(client, q, who=None, path="/api/v1/kb/search"):
    response = client.get(path, query_string={"q": q}, headers=who or {})
    assert response.status_code == 200, response.json
    return [hit["title"] for hit in response.json["items"]]


# --- search ------------------------------------------------------------------------------------------

def test_a_two_character_chinese_word_finds_a_chinese_article(client, agent, published_article):
    published_article("打印机无法连接网络", "先检查网线,再重启打印机。", visibility="public")
    published_article("发票导出失败", "在报表中心重新导出。", visibility="public")
    assert search(client, "网线", agent) == ["打印机无法连接网络"]
    assert search(client, "发票", agent) == ["发票导出失败"]
    assert search(client, "合同", agent) == []


def test_an_english_word_matches_without_stemming_or_case(client, agent, published_article):
    published_article("Exporting invoices to PDF", "Use the report centre.")
    published_article("Invoice numbering", "Numbers follow the fiscal year.")
    assert sorted(search(client, "INVOICE", agent)) == ["Exporting invoices to PDF", "Invoice numbering"]
    assert search(client, "invoices", agent) == ["Exporting invoices to PDF"]
    assert search(client, "fiscal", agent) == ["Invoice numbering"]


def test_a_draft_is_not_found_and_an_edit_is_found_only_once_published(client, agent, write, publish):
    draft = write("VPN drops every hour", "Renew the certificate.")
    assert search(client, "certificate", agent) == []
    published = publish(draft)
    edited = client.patch(f"/api/v1/kb/articles/{published['id']}", json={"body": "Update the firmware."},
                          headers={**agent, "If-Match": published["etag"]})
    assert edited.status_code == 200, edited.json
    assert search(client, "certificate", agent) == ["VPN drops every hour"]
    assert search(client, "firmware", agent) == []
    publish({**edited.json, "etag": edited.headers["ETag"]})
    assert search(client, "firmware", agent) == ["VPN drops every hour"]
    assert search(client, "certificate", agent) == []


def test_internal_articles_are_found_by_the_desk_only_and_never_publicly(client, agent, headers, published_article):
    internal = published_article("Reset a customer password internally", "Use the admin console.")
    public = published_article("Reset your password", "Click forgot password.", visibility="public")
    assert sorted(search(client, "password", agent)) == ["Reset a customer password internally", "Reset your password"]
    assert search(client, "password", headers("rep-1", "sales_rep")) == ["Reset your password"]
    assert search(client, "password", path="/api/v1/public/kb/search") == ["Reset your password"]
    assert client.get(f"/api/v1/public/kb/articles/{public['id']}").status_code == 200
    assert_error(client.get(f"/api/v1/public/kb/articles/{internal['id']}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/kb/articles/{internal['id']}", headers=headers("rep-1", "sales_rep")), 404)


def test_a_public_draft_is_not_readable_publicly(client, write):
    draft = write("Public soon", "Not yet.", visibility="public")
    assert_error(client.get(f"/api/v1/public/kb/articles/{draft['id']}"), 404, "not_found")
    assert search(client, "soon", path="/api/v1/public/kb/search") == []


def test_a_query_with_nothing_searchable_is_refused(client, agent):
    for q in ("打", "on", "the"):
        assert_error(client.get("/api/v1/kb/search", query_string={"q": q}, headers=agent), 422, "query_too_short")
    assert_error(client.get("/api/v1/kb/search", query_string={"q": "printer", "colour": "red"}, headers=agent), 422)
    assert_error(client.get("/api/v1/kb/search", query_string={"q": "printer"}), 401)


# --- suggestions and helpful votes -------------------------------------------------------------------

def test_suggestions_rank_published_articles_for_the_tickets_subject_and_description(
    client, agent, headers, ticket, published_article, write
):
    published_article("Printer offline after update", "Reinstall the driver.")
    published_article("打印机卡纸", "打开后盖取出纸张。", visibility="public")
    published_article("Contract renewal", "Ask sales.")
    write("Printer draft", "Not published.")
    ticket_id = ticket("Printer offline", "客户的打印机卡纸了", owner_id="rep-1")
    response = client.get(f"/api/v1/tickets/{ticket_id}/suggestions", headers=agent)
    assert response.status_code == 200, response.json
    titles = [item["title"] for item in response.json["items"]]
    # Four of the ticket's ten terms are in the Chinese title, two in the English one.
    assert titles == ["打印机卡纸", "Printer offline after update"]
    assert response.json["items"][0]["my_vote"] is None
    # The rep who owns the customer sees the ticket, but only public articles.
    rep = client.get(f"/api/v1/tickets/{ticket_id}/suggestions", headers=headers("rep-1", "sales_rep")).json
    assert [item["title"] for item in rep["items"]] == ["打印机卡纸"]
    assert_error(client.get(f"/api/v1/tickets/{ticket_id}/suggestions", headers=headers("rep-2", "sales_rep")), 404)


def test_helpful_votes_change_the_ranking_and_count_once_per_agent_per_ticket(
    client, agent, headers, ticket, published_article
):
    first = published_article("Mail sync fails: check the server", "Check the server address.")
    second = published_article("Mail sync fails: reset the account", "Reset the account.")
    ticket_id = ticket("Mail sync fails")

    def suggested():
        items = client.get(f"/api/v1/tickets/{ticket_id}/suggestions", headers=agent).json["items"]
        return [item["id"] for item in items]

    assert suggested() == [second["id"], first["id"]]  # equally relevant: the newer first

    def vote(article, helped, who=agent, on=ticket_id):
        return client.post(f"/api/v1/kb/articles/{article['id']}/votes", json={"ticket_id": on, "helped": helped},
                           headers=who)

    for _ in range(2):
        counted = vote(first, True)
        assert counted.status_code == 200, counted.json
    assert (counted.json["helped_count"], counted.json["not_helped_count"]) == (1, 0)
    assert suggested() == [first["id"], second["id"]]
    changed = vote(first, False).json
    assert (changed["helped_count"], changed["not_helped_count"]) == (0, 1)
    assert suggested() == [second["id"], first["id"]]
    other_agent = headers("agent-2", "service_agent")
    assert vote(first, True, other_agent).json["helped_count"] == 1
    assert vote(first, True, other_agent, ticket("Another ticket")).json["helped_count"] == 2
    items = client.get(f"/api/v1/tickets/{ticket_id}/suggestions", headers=agent).json["items"]
    assert {item["id"]: item["my_vote"] for item in items} == {first["id"]: False, second["id"]: None}


def test_votes_need_a_known_ticket_a_published_article_and_a_desk_role(client, agent, headers, ticket, write,
                                                                      published_article):
    ticket_id = ticket()
    draft = write()
    article = published_article("Known", "Body.")
    def vote(on_article, body, who=agent):
        return client.post(f"/api/v1/kb/articles/{on_article['id']}/votes", json=body, headers=who)

    assert_error(vote(draft, {"ticket_id": ticket_id, "helped": True}), 409, "article_not_published")
    assert_error(vote(article, {"ticket_id": str(uuid.uuid4()), "helped": True}), 404)
    assert_error(vote(article, {"ticket_id": ticket_id, "helped": "yes"}), 422)
    assert_error(vote(article, {"ticket_id": ticket_id, "helped": True}, headers("rep-1", "sales_rep")), 403)
    assert client.get(f"/api/v1/kb/articles/{article['id']}", headers=agent).json["helped_count"] == 0


# --- versions and publishing -------------------------------------------------------------------------

def test_versions_keep_the_history_and_writes_need_the_current_etag(client, agent, manager, write, publish):
    article = publish(write("Reset MFA", "Version one."))
    path = f"/api/v1/kb/articles/{article['id']}"
    assert_error(client.patch(path, json={"body": "Two."}, headers=agent), 428, "precondition_required")
    edited = client.patch(path, json={"body": "Version two."}, headers={**agent, "If-Match": article["etag"]})
    assert edited.status_code == 200
    assert (edited.json["body"], edited.json["draft"]["body"], edited.json["draft"]["number"]) == (
        "Version one.", "Version two.", 2)
    assert_error(client.patch(path, json={"body": "Lost."}, headers={**agent, "If-Match": article["etag"]}),
                 412, "version_mismatch")
    publish({**edited.json, "etag": edited.headers["ETag"]})
    versions = client.get(f"{path}/versions", headers=agent).json["items"]
    assert [(v["number"], v["state"], v["body"]) for v in versions] == [
        (2, "published", "Version two."), (1, "superseded", "Version one.")]
    current = client.get(path, headers=agent)
    assert (current.json["published_version"], current.json["draft"]) == (2, None)
    assert_error(client.post(f"{path}/publish", headers={**agent, "If-Match": current.headers["ETag"]}), 403)
    assert_error(client.post(f"{path}/publish", headers={**manager, "If-Match": current.headers["ETag"]}),
                 409, "no_draft")


def test_bad_article_input_is_refused(client, agent, headers):
    post = lambda body, who=agent: client.post("/api/v1/kb/articles", json=body, headers=who)  # noqa: E731
    good = {"title": "Title", "body": "Body"}
    for body, field in [({**good, "title": " "}, "title"), ({**good, "title": "x" * 201}, "title"),
                        ({**good, "visibility": "world"}, "visibility"), ({**good, "tags": ["x" * 51]}, "tags"),
                        ({**good, "colour": "red"}, "colour"), ({"title": "T"}, "body"),
                        ({**good, "category_id": str(uuid.uuid4())}, "category_id")]:
        assert field in assert_error(post(body), 422)["errors"], body
    assert_error(post(good, headers("rep-1", "sales_rep")), 403)
    assert client.get("/api/v1/kb/articles", headers=agent).json["total"] == 0


def test_the_article_list_shows_drafts_to_the_desk_and_filters_by_status_tag_and_category(
    client, agent, manager, write, publish
):
    category = client.post("/api/v1/kb/categories", json={"name": "Billing"}, headers=manager).json
    publish(write("Refunds", "How to refund.", tags=["billing"], category_id=category["id"]))
    write("Draft only", "Soon.")
    listed = lambda **query: client.get("/api/v1/kb/articles", query_string=query, headers=agent).json  # noqa: E731
    assert listed()["total"] == 2
    assert [a["title"] for a in listed(status="draft")["items"]] == ["Draft only"]
    assert [a["title"] for a in listed(tag="billing")["items"]] == ["Refunds"]
    assert [a["title"] for a in listed(category_id=category["id"])["items"]] == ["Refunds"]


# --- categories --------------------------------------------------------------------------------------

def test_categories_form_a_tree_without_cycles_and_only_empty_ones_are_removed(client, agent, manager, write):
    root = client.post("/api/v1/kb/categories", json={"name": "Hardware"}, headers=manager).json
    child = client.post("/api/v1/kb/categories", json={"name": "Printers", "parent_id": root["id"]}, headers=manager)
    assert child.status_code == 201 and child.json["parent_id"] == root["id"]
    assert_error(client.post("/api/v1/kb/categories", json={"name": "printers", "parent_id": root["id"]},
                             headers=manager), 409, "category_name_taken")
    assert_error(client.patch(f"/api/v1/kb/categories/{root['id']}", json={"parent_id": child.json["id"]},
                              headers=manager), 409, "category_cycle")
    assert_error(client.delete(f"/api/v1/kb/categories/{root['id']}", headers=manager), 409, "category_in_use")
    assert_error(client.post("/api/v1/kb/categories", json={"name": "Mine"}, headers=agent), 403)
    listed = client.get("/api/v1/public/kb/categories").json
    assert {(c["name"], c["parent_id"]) for c in listed["items"]} == {("Hardware", None), ("Printers", root["id"])}
    write("In printers", "Body.", category_id=child.json["id"])
    assert_error(client.delete(f"/api/v1/kb/categories/{child.json['id']}", headers=manager), 409, "category_in_use")


# --- solutions ---------------------------------------------------------------------------------------

def test_a_solution_is_recorded_for_a_closed_ticket_and_promoted_to_a_linked_draft_once(
    client, agent, ticket, publish
):
    ticket_id = ticket("Scanner jams")
    solution_body = {"summary": "Clean the scanner rollers", "steps": ["Power off", "Wipe the rollers"]}
    assert_error(client.post(f"/api/v1/tickets/{ticket_id}/solutions", json=solution_body, headers=agent),
                 409, "ticket_not_resolved")
    assert client.post(f"/api/v1/tickets/{ticket_id}/close", json={}, headers=agent).status_code == 200
    recorded = client.post(f"/api/v1/tickets/{ticket_id}/solutions", json=solution_body, headers=agent)
    assert recorded.status_code == 201, recorded.json
    solution = recorded.json
    assert (solution["ticket_id"], solution["steps"], solution["article_id"]) == (
        ticket_id, ["Power off", "Wipe the rollers"], None)
    promoted = client.post(f"/api/v1/solutions/{solution['id']}/promote", json={"visibility": "public"}, headers=agent)
    assert promoted.status_code == 201, promoted.json
    article = promoted.json
    assert (article["status"], article["title"], article["body"], article["source_solution_id"]) == (
        "draft", "Clean the scanner rollers", "1. Power off\n2. Wipe the rollers", solution["id"])
    assert client.get(f"/api/v1/solutions/{solution['id']}", headers=agent).json["article_id"] == article["id"]
    assert [s["id"] for s in client.get(f"/api/v1/tickets/{ticket_id}/solutions", headers=agent).json["items"]] == [
        solution["id"]]
    assert_error(client.post(f"/api/v1/solutions/{solution['id']}/promote", json={}, headers=agent),
                 409, "solution_already_promoted")
    assert client.get("/api/v1/kb/articles", headers=agent).json["total"] == 1
    assert search(client, "rollers", path="/api/v1/public/kb/search") == []
    publish({**article, "etag": promoted.headers["ETag"]})
    assert search(client, "rollers", path="/api/v1/public/kb/search") == ["Clean the scanner rollers"]


def test_solutions_refuse_bad_input_and_unknown_tickets(client, agent, headers, ticket):
    ticket_id = ticket()
    client.post(f"/api/v1/tickets/{ticket_id}/close", json={}, headers=agent)
    post = lambda body, who=agent, on=ticket_id: client.post(  # noqa: E731
        f"/api/v1/tickets/{on}/solutions", json=body, headers=who)
    assert "summary" in assert_error(post({"summary": " "}), 422)["errors"]
    assert "steps" in assert_error(post({"summary": "S", "steps": ["x" * 2001]}), 422)["errors"]
    assert_error(post({"summary": "S"}, on=str(uuid.uuid4())), 404)
    assert_error(post({"summary": "S"}, headers("rep-1", "sales_rep")), 403)
    assert_error(client.post(f"/api/v1/solutions/{uuid.uuid4()}/promote", json={}, headers=agent), 404)
    assert client.get(f"/api/v1/tickets/{ticket_id}/solutions", headers=agent).json["items"] == []


def test_the_openapi_document_describes_the_knowledge_base(client):
    paths = set(client.get("/openapi.json").json["paths"])
    assert {"/api/v1/kb/search", "/api/v1/public/kb/search", "/api/v1/kb/articles/{article_id}/publish",
            "/api/v1/tickets/{ticket_id}/suggestions", "/api/v1/solutions/{solution_id}/promote"} <= paths


def test_recording_a_solution_and_publishing_an_article_publish_the_events_of_their_contracts(
    client, agent, ticket, write, publish, published
):
    ticket_id = ticket()
    client.post(f"/api/v1/tickets/{ticket_id}/close", json={}, headers=agent)
    solution = client.post(f"/api/v1/tickets/{ticket_id}/solutions", json={"summary": "Replaced the toner"},
                           headers=agent).json
    recorded = published()[-1]
    assert recorded["name"] == "service_desk.solution.recorded.v1"
    assert set(recorded["payload"]) == set(contract("service_desk.solution.recorded.v1").payload)
    assert (recorded["payload"]["solution_id"], recorded["payload"]["ticket_id"]) == (solution["id"], ticket_id)
    draft = write("Toner", "Replace it.")
    assert published()[-1]["name"] != "service_desk.article.published.v1"
    publish(draft)
    event = published()[-1]
    assert event["name"] == "service_desk.article.published.v1"
    assert set(event["payload"]) == set(contract("service_desk.article.published.v1").payload)
    assert (event["payload"]["article_id"], event["payload"]["version_number"], event["payload"]["published_by"]) == (
        draft["id"], 1, "manager-1")
