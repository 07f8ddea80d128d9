"""On PostgreSQL, requests arriving at the same moment share one rate-limit count and get distinct numbers."""
from __future__ import annotations

import pytest

from crm_shared.testing import all_at_once, each_at_once

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

FORM = {"name": "Li Wei", "subject": "Cannot export", "description": "The button does nothing."}


def test_a_simultaneous_flood_from_one_address_lets_exactly_the_limit_through(app):
    requests = [("/api/v1/public/requests", {**FORM, "email": f"user{n}@example.com"},
                 {"X-Forwarded-For": "198.51.100.50"}) for n in range(8)]
    answers = all_at_once(app, requests)
    assert sorted(status for status, _ in answers) == [202] * 5 + [429] * 3
    numbers = [body["number"] for status, body in answers if status == 202]
    assert len(set(numbers)) == 5


def test_tickets_opened_at_the_same_moment_get_distinct_consecutive_numbers(app, client, agent, customer_created):
    customer_id = customer_created()
    answers = each_at_once(app, {n: ("POST", "/api/v1/tickets", {"customer_id": customer_id, "subject": f"T{n}"}, agent)
                                 for n in range(6)})
    assert all(status == 201 for status, _ in answers.values())
    numbers = sorted(int(body["number"].rsplit("-", 1)[1]) for _, body in answers.values())
    assert numbers == list(range(numbers[0], numbers[0] + 6))


def test_two_replies_at_the_same_moment_both_land_with_distinct_history_rows(app, client, agent, customer_created):
    ticket = client.post("/api/v1/tickets", json={"customer_id": customer_created(), "subject": "Busy"},
                         headers=agent).json
    path = f"/api/v1/tickets/{ticket['id']}/replies"
    answers = all_at_once(app, [(path, {"body": f"Reply {n}"}, agent) for n in range(3)])
    assert sorted(status for status, _ in answers) == [201, 201, 201]
    rows = client.get(f"/api/v1/tickets/{ticket['id']}/history", headers=agent).json["items"]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["kind"] for r in rows].count("public_reply") == 3
