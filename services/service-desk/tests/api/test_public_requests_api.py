"""The public request form through the Flask test client: no login, a number and a secret, floods refused."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from crm_shared.testing import contract
from service_desk.db import public_rate_limits, ticket_history, ticket_messages

FORM = {"name": "Li Wei", "email": "li.wei@example.com", "phone": "+86 21 5555 0100", "company": "Example Ltd",
        "subject": "Cannot export invoices", "description": "The export button does nothing since Monday.",
        "category": "billing"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture
def counts(row_counts, uow_factory):
    def count():
        with uow_factory() as uow:
            extra = {t.name: uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (ticket_history, ticket_messages, public_rate_limits)}
        return {**row_counts(), **extra}

    return count


def submit(client, address="203.0.113.7", **changes):
    return client.post("/api/v1/public/requests", json={**FORM, **changes}, headers={"X-Forwarded-For": address})


@pytest.fixture
def request_(client) -> dict:
    response = submit(client)
    assert response.status_code == 202, response.json
    return response.json


def view(client, ack: dict, token: str | None = None):
    return client.get(f"/api/v1/public/requests/{ack['number']}", query_string={"token": token or ack["access_token"]})


def test_a_request_without_login_is_acknowledged_with_a_number_and_a_secret_shown_once(client, agent, request_,
                                                                                      published, uow_factory):
    assert set(request_) == {"number", "access_token", "status"}
    assert re.fullmatch(r"SD-\d{4}-\d{6}", request_["number"]) and request_["status"] == "new"
    assert len(request_["access_token"]) >= 40
    [ticket] = client.get(f"/api/v1/tickets?q={request_['number']}", headers=agent).json["items"]
    assert (ticket["customer_id"], ticket["channel"], ticket["source"], ticket["opened_by"]) == (
        None, None, "public_form", None)
    assert ticket["requester"] == {"name": "Li Wei", "email": "li.wei@example.com", "phone": "+86 21 5555 0100",
                                   "company": "Example Ltd"}
    assert request_["access_token"] not in str(ticket)
    with uow_factory() as uow:
        stored = uow.tickets.get(ticket["id"]).public_token_hash
    assert stored != request_["access_token"] and len(stored) == 64
    [event] = published()
    assert event["name"] == "service_desk.ticket.submitted.v1" and event["payload"]["number"] == request_["number"]
    # No customer yet, so no owner to show it to live; the field is there all the same, as in the contract.
    assert set(event["payload"]) == set(contract(event["name"]).payload)
    assert event["payload"]["customer_owner_id"] is None


def test_the_requester_sees_the_public_thread_only_never_an_internal_note(client, agent, request_):
    ticket = client.get(f"/api/v1/tickets?q={request_['number']}", headers=agent).json["items"][0]
    client.post(f"/api/v1/tickets/{ticket['id']}/notes", json={"body": "SECRET: customer owes us money"}, headers=agent)
    client.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "Which browser do you use?"}, headers=agent)
    shown = view(client, request_)
    assert shown.status_code == 200, shown.json
    assert [(m["author_kind"], m["body"]) for m in shown.json["messages"]] == [
        ("customer", FORM["description"]), ("agent", "Which browser do you use?")]
    assert "SECRET" not in shown.get_data(as_text=True)
    assert (shown.json["status"], shown.json["can_rate"], shown.json["satisfaction"]) == ("open", False, None)


def test_the_requester_replies_and_rates_through_their_view(client, agent, request_, published):
    ticket = client.get(f"/api/v1/tickets?q={request_['number']}", headers=agent).json["items"][0]
    path = f"/api/v1/public/requests/{request_['number']}"
    token = {"token": request_["access_token"]}
    moved = client.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"status": "pending_customer"},
                        headers={**agent, "If-Match": f'"{ticket["version"]}"'})
    assert moved.status_code == 200, moved.json
    answered = client.post(f"{path}/replies", query_string=token, json={"body": "Chrome 120"})
    assert answered.status_code == 201 and answered.json["author_kind"] == "customer"
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json["status"] == "open"
    assert_error(client.put(f"{path}/satisfaction", query_string=token, json={"rating": 5}), 409, "ticket_not_resolved")
    client.post(f"/api/v1/tickets/{ticket['id']}/close", json={"resolution": "Cleared the cache"}, headers=agent)
    assert view(client, request_).json["can_rate"] is True
    rated = client.put(f"{path}/satisfaction", query_string=token, json={"rating": 5, "comment": "Thanks!"})
    assert rated.status_code == 200, rated.json
    assert rated.json["satisfaction"]["rating"] == 5 and rated.json["can_rate"] is False
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json["satisfaction"]["by_customer"] is True
    assert_error(client.post(f"{path}/replies", query_string=token, json={"body": "one more"}), 409, "ticket_closed")
    assert published()[-1]["name"] == "service_desk.ticket.rated.v1"


def test_a_wrong_token_or_another_requests_number_is_the_same_404_and_reveals_nothing(client, request_, counts):
    other = submit(client, address="203.0.113.8", email="someone.else@example.com", subject="Other").json
    before = counts()
    answers = [
        view(client, request_, token=other["access_token"]),
        view(client, other, token=request_["access_token"]),
        view(client, request_, token="x" * 43),
        view(client, {"number": "SD-2026-999999"}, token=request_["access_token"]),
        client.post(f"/api/v1/public/requests/{request_['number']}/replies",
                    query_string={"token": other["access_token"]}, json={"body": "let me in"}),
        client.put(f"/api/v1/public/requests/{request_['number']}/satisfaction",
                   query_string={"token": other["access_token"]}, json={"rating": 1}),
    ]
    bodies = [assert_error(answer, 404, "not_found") for answer in answers]
    assert all(body == bodies[0] for body in bodies)
    assert assert_error(client.get(f"/api/v1/public/requests/{request_['number']}"), 422)["errors"].keys() == {"token"}
    assert counts() == before


def test_a_ticket_opened_by_an_agent_is_never_readable_publicly(client, agent, customer_created):
    ticket = client.post("/api/v1/tickets", json={"customer_id": customer_created(), "subject": "Internal"},
                         headers=agent).json
    assert_error(client.get(f"/api/v1/public/requests/{ticket['number']}", query_string={"token": ""}), 422)
    assert_error(client.get(f"/api/v1/public/requests/{ticket['number']}", query_string={"token": "guess"}), 404)


@pytest.mark.parametrize("changes, field", [
    ({"email": "not-an-email"}, "email"), ({"email": None}, "email"), ({"name": "   "}, "name"),
    ({"name": "x" * 101}, "name"), ({"phone": "call me"}, "phone"), ({"company": "x" * 201}, "company"),
    ({"subject": ""}, "subject"), ({"subject": "x" * 201}, "subject"), ({"description": "  "}, "description"),
    ({"description": "x" * 10_001}, "description"), ({"category": "Bad Category"}, "category"),
    ({"customer_id": "c-1"}, "customer_id"), ({"priority": "urgent"}, "priority"), ({"is_admin": True}, "is_admin"),
])
def test_bad_input_is_422_and_nothing_is_written(client, counts, changes, field):
    before = counts()
    assert field in assert_error(submit(client, **changes), 422)["errors"]
    assert counts() == before


def test_an_oversized_or_malformed_body_is_refused_and_nothing_is_written(client, counts):
    before = counts()
    huge = {**FORM, "description": "x" * 40_000}
    assert_error(client.post("/api/v1/public/requests", json=huge), 413, "payload_too_large")
    assert_error(client.post("/api/v1/public/requests", data="{oops", content_type="application/json"), 400)
    assert_error(client.post("/api/v1/public/requests", json=["a", "list"]), 422)
    assert counts() == before


def test_a_flood_from_one_address_is_refused_with_429_and_retry_after(client, counts):
    for n in range(5):
        assert submit(client, address="198.51.100.1", email=f"user{n}@example.com").status_code == 202
    before = counts()
    refused = submit(client, address="198.51.100.1", email="user9@example.com")
    body = assert_error(refused, 429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 600 and body["errors"]["retry_after"] > 0
    assert counts() == before
    assert submit(client, address="198.51.100.2", email="user9@example.com").status_code == 202


def test_a_flood_from_one_email_is_refused_whatever_the_address(client):
    for n in range(5):
        assert submit(client, address=f"192.0.2.{n}", email="Flood@Example.com").status_code == 202
    assert_error(submit(client, address="192.0.2.99", email="flood@example.com"), 429, "rate_limited")


def test_the_public_endpoints_need_no_token_while_ticket_endpoints_still_do(client, request_):
    assert view(client, request_).status_code == 200
    assert_error(client.get("/api/v1/tickets"), 401, "authentication_required")


def test_an_agent_links_a_request_to_a_customer_and_only_then_is_it_announced_as_opened(
    client, agent, headers, request_, customer_created, published, counts
):
    customer_id = customer_created(owner_id="rep-1", channel="partner")
    ticket = client.get(f"/api/v1/tickets?q={request_['number']}", headers=agent).json["items"][0]
    rep = headers("rep-1", "sales_rep")
    # Before it has a customer, no rep sees the request.
    assert client.get("/api/v1/tickets", headers=rep).json["total"] == 0
    path = f"/api/v1/tickets/{ticket['id']}/customer"
    before = counts()
    assert_error(client.put(path, json={"customer_id": customer_id}, headers=agent), 428)
    assert_error(client.put(path, json={"customer_id": "3f0c0e1a-0000-4000-8000-000000000000"},
                            headers={**agent, "If-Match": f'"{ticket["version"]}"'}), 422, "unknown_customer")
    assert_error(client.put(path, json={"customer_id": customer_id},
                            headers={**rep, "If-Match": f'"{ticket["version"]}"'}), 403)
    assert counts() == before
    linked = client.put(path, json={"customer_id": customer_id, "contact_id": "contact-1"},
                        headers={**agent, "If-Match": f'"{ticket["version"]}"'})
    assert linked.status_code == 200, linked.json
    assert (linked.json["customer_id"], linked.json["contact_id"], linked.json["channel"]) == (
        customer_id, "contact-1", "partner")
    opened = published()[-1]
    assert opened["name"] == "service_desk.ticket.opened.v1"
    assert (opened["payload"]["customer_id"], opened["payload"]["customer_owner_id"]) == (customer_id, "rep-1")
    assert client.get("/api/v1/tickets", headers=rep).json["total"] == 1
    assert_error(client.put(path, json={"customer_id": customer_id},
                            headers={**agent, "If-Match": f'"{linked.json["version"]}"'}), 409,
                 "customer_already_linked")
    kinds = [r["kind"] for r in client.get(f"/api/v1/tickets/{ticket['id']}/history", headers=agent).json["items"]]
    assert kinds == ["opened", "customer_linked"]
