"""A customer's round trip through the gateway: converted with a deal, returned to the pool, claimed by another rep."""
from __future__ import annotations

import uuid

import pytest
import requests

from crm_shared.testing import poll

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_a_returned_customer_comes_back_to_the_pool_and_follows_the_rep_who_claims_it(running_system):
    api = running_system.gateway_url + "/api/v1"
    manager, rep1, rep2, agent = (running_system.login(u) for u in ("manager", "rep1", "rep2", "agent1"))
    lead = requests.post(
        f"{api}/leads", json={"company": "苏州示例精密", "contact_name": "Zhao Lei", "channel": f"e2e-{uuid.uuid4().hex[:6]}",
                              "region": "华东", "allow_duplicate": True},
        headers=manager, timeout=10,
    ).json()
    assert requests.post(f"{api}/leads/{lead['id']}/claim", headers=rep1, timeout=10).status_code == 200
    deal = {"name": "Line automation", "amount": "88000.00", "currency": "CNY", "expected_close_date": "2027-03-31"}
    converted = requests.post(f"{api}/leads/{lead['id']}/convert", json={"opportunity": deal}, headers=rep1, timeout=10)
    assert converted.status_code == 200, converted.text

    customer = poll(
        lambda: requests.get(f"{api}/customers", params={"lead_id": lead["id"]}, headers=rep1, timeout=10).json(),
        lambda body: body.get("total") == 1, what="the customer made of the converted lead",
    )["items"][0]
    assert customer["region"] == "华东"
    [opportunity] = requests.get(f"{api}/customers/{customer['id']}/opportunities", headers=rep1, timeout=10).json()["items"]
    assert (opportunity["name"], opportunity["amount"], opportunity["status"]) == ("Line automation", "88000.00", "open")

    ticket = poll(
        lambda: requests.post(f"{api}/tickets", json={"customer_id": customer["id"], "subject": "Calibration"},
                              headers=agent, timeout=10),
        lambda response: response.status_code == 201, what="the service desk to know the customer",
    ).json()

    returned = requests.post(f"{api}/customers/{customer['id']}/return-to-pool", json={"reason": "No budget"},
                             headers=rep1, timeout=10)
    assert returned.status_code == 200 and returned.json()["in_pool"] is True, returned.text
    back = poll(
        lambda: requests.get(f"{api}/leads/{lead['id']}", headers=rep2, timeout=10),
        lambda response: response.status_code == 200 and response.json()["status"] == "pool",
        what="the lead back in the public pool",
    ).json()
    assert (back["owner_id"], back["previous_owner_id"]) == (None, customer["owner_id"])
    # The public pool rep1's returns go to: the default one, unless an earlier test made one for their team.
    pool = requests.get(f"{api}/pools/{back['pool_id']}", headers=manager, timeout=10)
    assert pool.status_code == 200 and pool.json()["kind"] == "public", pool.text

    claimed = requests.post(f"{api}/leads/{lead['id']}/claim", headers=rep2, timeout=10)
    assert claimed.status_code == 200, claimed.text
    rep2_id = claimed.json()["owner_id"]
    owned = poll(
        lambda: requests.get(f"{api}/customers/{customer['id']}", headers=rep2, timeout=10),
        lambda response: response.status_code == 200, what="the customer to follow its lead to rep2",
    ).json()
    assert (owned["owner_id"], owned["in_pool"]) == (rep2_id, False)
    assert requests.get(f"{api}/customers/{customer['id']}", headers=rep1, timeout=10).status_code == 404
    history = requests.get(f"{api}/customers/{customer['id']}/ownership-history", headers=rep2, timeout=10).json()
    assert [h["reason"] for h in history["items"]] == ["converted", "returned", "claimed"]
    lead_history = requests.get(f"{api}/leads/{lead['id']}/ownership-history", headers=rep2, timeout=10).json()
    assert [h["reason"] for h in lead_history["items"]] == ["claimed", "converted", "returned", "claimed"]
    # The desk's replica follows the customer: its tickets are rep2's to see now, no longer rep1's.
    poll(lambda: requests.get(f"{api}/tickets/{ticket['id']}", headers=rep2, timeout=10).status_code,
         lambda status: status == 200, what="rep2 to see the customer's ticket")
    assert requests.get(f"{api}/tickets/{ticket['id']}", headers=rep1, timeout=10).status_code == 404

    # rep2 gives the lead up in the lead pool: the customer goes back to the pool with it.
    given_up = requests.post(f"{api}/leads/{lead['id']}/return", json={"reason": "not_interested"}, headers=rep2,
                             timeout=10)
    assert given_up.status_code == 200, given_up.text
    poll(lambda: requests.get(f"{api}/customers/{customer['id']}", headers=manager, timeout=10).json()["in_pool"],
         lambda in_pool: in_pool is True, what="the customer to follow its lead back to the pool")
