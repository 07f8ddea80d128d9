"""Returning a customer and winning its deal at the same moment, on real PostgreSQL: never both."""
from __future__ import annotations

import pytest

from crm_shared.testing import each_at_once

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

ROUNDS = 5


def test_a_customer_is_never_both_returned_and_the_winner_of_a_deal(app, client, convert, headers, in_directory,
                                                                    published):
    in_directory("rep-1", "team-east")
    in_directory("boss", "team-east", roles=("sales_manager",))
    rep = headers("rep-1", "sales_rep")
    manager = headers("boss", "sales_manager")
    for _ in range(ROUNDS):
        lead_id = convert(owner_id="rep-1").payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        answers = each_at_once(app, {
            "return": ("POST", f"/api/v1/customers/{customer['id']}/return-to-pool", {"reason": "no budget"}, rep),
            "win": ("POST", f"/api/v1/opportunities/{deal['id']}/close", {"outcome": "won"}, manager),
        })
        statuses = {key: status for key, (status, _) in answers.items()}
        assert sorted(statuses.values()) == [200, 409], answers
        after = client.get(f"/api/v1/customers/{customer['id']}", headers=manager).json
        won = client.get(f"/api/v1/opportunities/{deal['id']}", headers=manager).json["status"] == "won"
        if statuses["return"] == 200:
            assert after["in_pool"] and not won and after["won_deals"] == 0
            # At the same moment the version check refuses it; just after, the customer is in the pool.
            assert answers["win"][1]["code"] in ("opportunity_changed", "customer_in_pool")
        else:
            assert not after["in_pool"] and won and after["won_deals"] == 1
            assert answers["return"][1]["code"] in ("customer_has_won_deal", "customer_changed")
    names = [e["name"] for e in published()]
    assert names.count("sales.customer.returned.v1") + names.count("sales.opportunity.closed.v1") == ROUNDS
