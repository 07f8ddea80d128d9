"""Edits of a customer or an open deal are published, naming what changed; a refused edit publishes nothing."""
from __future__ import annotations


def versioned(headers: dict, resource: dict) -> dict:
    return {**headers, "If-Match": f'"{resource["version"]}"'}


def test_editing_a_customer_and_its_contacts_publishes_customer_updated(client, headers, published):
    rep = headers("rep-1", "sales_rep")
    customer = client.post("/api/v1/customers", json={"name": "Acme", "channel": "direct"}, headers=rep).json
    path = f"/api/v1/customers/{customer['id']}"
    before = len(published())
    assert client.patch(path, json={"name": " "}, headers=versioned(rep, customer)).status_code == 422
    assert len(published()) == before
    edited = client.patch(path, json={"name": "Acme 上海", "region": "华东"}, headers=versioned(rep, customer)).json
    contacts = client.put(f"{path}/contacts", headers=versioned(rep, edited), json={"contacts": [
        {"name": "Wang Fang", "phone": "+86 21 5555 0101", "is_primary": True}]})
    assert contacts.status_code == 200, contacts.json
    first, second = published()[before:]
    assert (first["name"], first["payload"]["changed"], first["payload"]["name"]) == (
        "sales.customer.updated.v1", ["name", "region"], "Acme 上海")
    assert (second["payload"]["changed"], second["payload"]["contact_name"]) == (["contacts"], "Wang Fang")


def test_editing_an_open_deal_publishes_opportunity_updated(client, headers, published):
    rep = headers("rep-1", "sales_rep")
    customer = client.post("/api/v1/customers", json={"name": "Globex"}, headers=rep).json
    deal = client.post(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep, json={
        "name": "Deal", "amount": "1000.00", "currency": "CNY", "expected_close_date": "2027-01-15"}).json
    before = len(published())
    edited = client.patch(f"/api/v1/opportunities/{deal['id']}", headers=versioned(rep, deal),
                          json={"amount": "2500.50", "expected_close_date": "2027-03-01"})
    assert edited.status_code == 200, edited.json
    [event] = published()[before:]
    assert (event["name"], event["payload"]["changed"], event["payload"]["amount"]) == (
        "sales.opportunity.updated.v1", ["amount", "expected_close_date"], "2500.50")
    assert event["payload"]["expected_close_date"] == "2027-03-01"
