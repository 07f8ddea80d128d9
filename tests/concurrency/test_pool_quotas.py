"""The pools' daily limits on claiming and opening leads hold when one rep sends many requests at once."""
from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
import requests

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.long]

AT_ONCE = 20


def expect(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.text}"
    return response.json()


def all_at_once(paths: list[str], headers: dict) -> list[tuple[int, dict]]:
    start = threading.Barrier(len(paths))
    answers = []

    def post(url: str) -> None:
        start.wait()
        response = requests.post(url, headers=headers, timeout=60)
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def pool_with_leads(api: str, admin: dict, kind: str, rep_id: str, rules: dict, count: int) -> list[str]:
    pool = expect(requests.post(f"{api}/pools", headers=admin, timeout=30, json={
        "name": f"Quota {uuid.uuid4().hex[:6]}", "kind": kind, "scope": {"user_ids": [rep_id]}, "rules": rules}), 201)
    tag = uuid.uuid4().hex[:8]
    return [
        expect(requests.post(f"{api}/leads", headers=admin, timeout=30, json={
            "company": f"Quota {tag} {n}", "contact_name": f"Contact {n}", "email": f"quota-{tag}-{n}@example.com",
            "channel": "quota", "pool_id": pool["id"]}), 201)["id"]
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def rep(create_users) -> tuple[str, dict]:
    [rep] = create_users("quota-rep", 1, ["sales_rep"])
    return rep


def test_twenty_simultaneous_claims_by_one_rep_with_a_daily_quota_of_five_get_exactly_five(
        system_on_postgresql, admin, rep):
    api = system_on_postgresql.gateway_url + "/api/v1"
    rep_id, headers = rep
    lead_ids = pool_with_leads(api, admin, "lead", rep_id, {"daily_claim_quota": 5}, AT_ONCE)
    answers = all_at_once([f"{api}/leads/{lead_id}/claim" for lead_id in lead_ids], headers)
    assert Counter(status for status, _ in answers) == {200: 5, 403: AT_ONCE - 5}, answers
    assert {body["code"] for status, body in answers if status == 403} == {"daily_claim_quota_reached"}
    owned = expect(requests.get(f"{api}/leads", headers=headers, timeout=30, params={"owner": "me", "limit": 500}), 200)
    assert len({lead["id"] for lead in owned["items"]} & set(lead_ids)) == 5


def test_twenty_simultaneous_opens_of_masked_leads_with_a_daily_open_quota_of_three_open_exactly_three(
        system_on_postgresql, admin, rep):
    api = system_on_postgresql.gateway_url + "/api/v1"
    rep_id, headers = rep
    lead_ids = pool_with_leads(api, admin, "public", rep_id, {"daily_open_quota": 3}, AT_ONCE)
    answers = all_at_once([f"{api}/leads/{lead_id}/reveal" for lead_id in lead_ids], headers)
    assert Counter(status for status, _ in answers) == {200: 3, 403: AT_ONCE - 3}, answers
    assert {body["code"] for status, body in answers if status == 403} == {"daily_open_quota_reached"}
    opened = [body for status, body in answers if status == 200]
    assert all(not body["masked"] and body["email"].startswith("quota-") for body in opened), opened
