"""Two people editing the same customer or deal at once, on real PostgreSQL: one write wins, the other gets 412."""
from __future__ import annotations

import pytest

from crm_shared.testing import each_at_once

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

ROUNDS = 5


def test_two_reps_editing_one_customer_at_once_never_overwrite_each_other(app, client, headers, in_directory):
    in_directory("rep-1", "team-east")
    in_directory("rep-2", "team-east")
    owner = headers("rep-1", "sales_rep")
    customer = client.post("/api/v1/customers", json={"name": "Acme", "channel": "direct"}, headers=owner).json
    client.put(f"/api/v1/customers/{customer['id']}/team-members/rep-2", json={"access": "edit"},
               headers={**owner, "If-Match": f'"{customer["version"]}"'})
    colleague = headers("rep-2", "sales_rep")
    for round_ in range(ROUNDS):
        read = client.get(f"/api/v1/customers/{customer['id']}", headers=owner)
        etag = read.headers["ETag"]
        answers = each_at_once(app, {
            "rep-1": ("PATCH", f"/api/v1/customers/{customer['id']}", {"industry": f"one-{round_}"},
                      {**owner, "If-Match": etag}),
            "rep-2": ("PATCH", f"/api/v1/customers/{customer['id']}", {"industry": f"two-{round_}"},
                      {**colleague, "If-Match": etag}),
        })
        statuses = sorted(status for status, _ in answers.values())
        assert statuses == [200, 412], answers
        winner = next(key for key, (status, _) in answers.items() if status == 200)
        loser = next(body for status, body in answers.values() if status == 412)
        assert loser["code"] == "version_mismatch"
        after = client.get(f"/api/v1/customers/{customer['id']}", headers=owner)
        expected = f"one-{round_}" if winner == "rep-1" else f"two-{round_}"
        assert after.json["industry"] == expected
        assert int(after.headers["ETag"].strip('"')) == int(etag.strip('"')) + 1


def test_two_stage_moves_of_one_deal_at_once_leave_one_move_in_the_history(app, client, headers):
    rep = headers("rep-1", "sales_rep")
    customer = client.post("/api/v1/customers", json={"name": "Acme"}, headers=rep).json
    deal = client.post(f"/api/v1/customers/{customer['id']}/opportunities",
                       json={"name": "ERP", "amount": "1000.00", "currency": "CNY"}, headers=rep).json
    answers = each_at_once(app, {
        "proposal": ("POST", f"/api/v1/opportunities/{deal['id']}/stage", {"stage": "proposal"},
                     {**rep, "If-Match": f'"{deal["version"]}"'}),
        "negotiation": ("POST", f"/api/v1/opportunities/{deal['id']}/stage", {"stage": "negotiation"},
                        {**rep, "If-Match": f'"{deal["version"]}"'}),
    })
    assert sorted(status for status, _ in answers.values()) == [200, 412], answers
    winner = next(key for key, (status, _) in answers.items() if status == 200)
    history = client.get(f"/api/v1/opportunities/{deal['id']}/stage-history", headers=rep).json["items"]
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [(None, "qualification"), ("qualification", winner)]
