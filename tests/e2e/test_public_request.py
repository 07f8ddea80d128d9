"""A customer without an account writes in through the gateway, follows the request and never sees a note."""
from __future__ import annotations

import uuid

import pytest
import requests

from crm_shared.testing import poll

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_a_public_request_is_sent_followed_and_answered_through_the_gateway_without_a_login(running_system):
    api = running_system.gateway_url + "/api/v1"
    agent = running_system.login("agent1")
    subject = f"Printer offline {uuid.uuid4().hex[:6]}"
    sent = requests.post(f"{api}/public/requests", timeout=10, json={
        "name": "Chen Jing", "email": f"chen.{uuid.uuid4().hex[:8]}@example.com", "subject": subject,
        "description": "The label printer went offline after the update."})
    assert sent.status_code == 202, sent.text
    ack = sent.json()
    mine = f"{api}/public/requests/{ack['number']}"
    [ticket] = requests.get(f"{api}/tickets", params={"q": ack["number"]}, headers=agent, timeout=10).json()["items"]
    assert (ticket["subject"], ticket["customer_id"], ticket["source"]) == (subject, None, "public_form")
    assert requests.post(f"{api}/tickets/{ticket['id']}/notes", json={"body": "Known bug in 5.1"}, headers=agent,
                         timeout=10).status_code == 201
    assert requests.post(f"{api}/tickets/{ticket['id']}/replies", json={"body": "Please restart it once."},
                         headers=agent, timeout=10).status_code == 201
    shown = requests.get(mine, params={"token": ack["access_token"]}, timeout=10)
    assert shown.status_code == 200, shown.text
    assert [m["body"] for m in shown.json()["messages"]] == [
        "The label printer went offline after the update.", "Please restart it once."]
    assert "Known bug" not in shown.text and shown.json()["status"] == "open"
    assert requests.post(f"{mine}/replies", params={"token": ack["access_token"]}, json={"body": "Works now"},
                         timeout=10).status_code == 201
    assert requests.get(mine, params={"token": "wrong"}, timeout=10).status_code == 404
    # Everything else still needs a login.
    assert requests.get(f"{api}/tickets/{ticket['id']}", timeout=10).status_code == 401
    history = poll(lambda: requests.get(f"{api}/tickets/{ticket['id']}/history", headers=agent, timeout=10).json(),
                   lambda body: len(body.get("items", [])) >= 5, what="the request's history")
    assert [row["kind"] for row in history["items"]] == [
        "opened", "internal_note", "public_reply", "status_changed", "public_reply"]
