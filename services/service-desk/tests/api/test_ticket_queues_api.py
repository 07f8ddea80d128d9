"""Queue views filtered by the server: several statuses at once, the open ones, every one of several tags."""
from __future__ import annotations

import pytest


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    assert response.json["code"] == code, response.json
    return response.json


def open_ticket(client, headers, customer_id, subject, **fields) -> dict:
    response = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": subject, **fields},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def move(client, headers, ticket, *statuses) -> dict:
    for status in statuses:
        response = client.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"status": status},
                               headers={**headers, "If-Match": f'"{ticket["version"]}"'})
        assert response.status_code == 200, response.json
        ticket = response.json
    return ticket


def subjects(client, headers, query: str) -> list[str]:
    response = client.get(f"/api/v1/tickets?{query}", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["total"] == len(response.json["items"])
    return sorted(ticket["subject"] for ticket in response.json["items"])


@pytest.fixture
def one_per_status(client, agent, customer_created) -> str:
    """A ticket in each status, named after it; returns the customer's id."""
    customer_id = customer_created()
    open_ticket(client, agent, customer_id, "new")
    for path in (["open"], ["pending_customer"], ["on_hold"], ["resolved"], ["closed"], ["resolved", "reopened"]):
        move(client, agent, open_ticket(client, agent, customer_id, path[-1]), *path)
    return customer_id


def test_a_queue_asks_for_several_statuses_at_once(client, agent, one_per_status):
    assert subjects(client, agent, "status=new&status=open&status=reopened") == ["new", "open", "reopened"]
    assert subjects(client, agent, "status=closed") == ["closed"]
    # Asking twice for a status is asking once.
    assert subjects(client, agent, "status=new&status=new") == ["new"]


def test_open_true_keeps_every_ticket_not_resolved_and_not_closed_and_false_the_others(client, agent,
                                                                                       one_per_status):
    assert subjects(client, agent, "open=true") == ["new", "on_hold", "open", "pending_customer", "reopened"]
    assert subjects(client, agent, "open=false") == ["closed", "resolved"]
    # Together with statuses, `open` narrows them.
    assert subjects(client, agent, "open=true&status=new&status=closed") == ["new"]
    assert subjects(client, agent, "open=true&status=closed") == []


def test_every_tag_asked_for_must_be_on_the_ticket(client, agent, customer_created):
    customer_id = customer_created()
    open_ticket(client, agent, customer_id, "both", tags=["vip", "billing"])
    open_ticket(client, agent, customer_id, "vip only", tags=["vip"])
    open_ticket(client, agent, customer_id, "billing only", tags=["billing"])
    open_ticket(client, agent, customer_id, "untagged")
    assert subjects(client, agent, "tag=vip&tag=billing") == ["both"]
    assert subjects(client, agent, "tag=vip") == ["both", "vip only"]
    assert subjects(client, agent, "tag=vip&tag=billing&tag=export") == []
    assert subjects(client, agent, "tag=billing&status=new&open=true") == ["billing only", "both"]


def test_filtered_pages_are_counted_in_full_newest_first(client, agent, customer_created, one_per_status):
    pages = [client.get(f"/api/v1/tickets?open=true&limit=2&offset={offset}", headers=agent).json
             for offset in (0, 2, 4)]
    assert [page["total"] for page in pages] == [5, 5, 5]
    listed = [ticket for page in pages for ticket in page["items"]]
    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    assert sorted(ticket["subject"] for ticket in listed) == ["new", "on_hold", "open", "pending_customer",
                                                              "reopened"]
    opened = [ticket["opened_at"] for ticket in listed]
    assert opened == sorted(opened, reverse=True)


def test_a_sales_rep_still_sees_only_their_customers_tickets(client, agent, headers, customer_created):
    mine, theirs = customer_created(owner_id="rep-1"), customer_created(owner_id="rep-2")
    open_ticket(client, agent, mine, "mine", tags=["vip"])
    open_ticket(client, agent, theirs, "theirs", tags=["vip"])
    rep = headers("rep-1", "sales_rep")
    assert subjects(client, rep, "open=true&tag=vip&status=new") == ["mine"]
    assert subjects(client, agent, "open=true&tag=vip&status=new") == ["mine", "theirs"]


def test_an_unknown_status_is_refused_by_name(client, agent, one_per_status):
    for query in ("status=lost", "status=new&status=lost", "open=true&status=lost"):
        body = assert_error(client.get(f"/api/v1/tickets?{query}", headers=agent), 400, "unknown_status")
        assert "'lost'" in body["message"] and "status" in body["errors"], body
    assert_error(client.get("/api/v1/tickets?open=maybe", headers=agent), 422, "validation_failed")
    assert_error(client.get("/api/v1/tickets?tag=", headers=agent), 422, "validation_failed")
