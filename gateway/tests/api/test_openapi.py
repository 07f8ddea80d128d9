"""The merged OpenAPI document and the docs page, with fake services on real ports."""
import re

import pytest


def document(resource: str, schema: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": resource, "version": "v1"},
        "paths": {
            f"/api/v1/{resource}": {
                "get": {
                    "summary": f"List the {resource}.",
                    "tags": [resource],
                    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}},
                }
            }
        },
        "components": {"schemas": {schema: {"type": "object", "properties": {"id": {"type": "string"}}}, "Error": {"type": "object"}}},
        "tags": [{"name": resource}],
    }


@pytest.fixture
def leads(fake_service):
    fake = fake_service("leads")
    fake.answer("GET", "/openapi.json", body=document("leads", "Lead"))
    return fake


@pytest.fixture
def sales(fake_service):
    fake = fake_service("sales")
    fake.answer("GET", "/openapi.json", body=document("customers", "Customer"))
    return fake


@pytest.fixture
def client(make_gateway, leads, sales):
    return make_gateway(CRM_LEADS_URL=leads.url, CRM_SALES_URL=sales.url).test_client()


def test_the_merged_document_has_the_gateways_and_each_answering_services_operations(client):
    merged = client.get("/openapi.json").get_json()
    assert {"/api/v1/auth/login", "/api/v1/me", "/api/v1/users", "/api/v1/live", "/api/v1/customers/{customer_id}/overview",
            "/api/v1/leads", "/api/v1/customers"} <= set(merged["paths"])
    assert {"leads.Lead", "leads.Error", "sales.Customer", "sales.Error"} <= set(merged["components"]["schemas"])
    schema = merged["paths"]["/api/v1/leads"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/leads.Lead"}
    assert merged["x-unavailable"] == ["reporting", "service-desk"]
    assert merged["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert merged["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_document_is_served_without_a_token(client):
    assert client.get("/openapi.json").status_code == 200


def test_a_complete_document_is_cached_rather_than_fetched_for_every_request(make_gateway, fake_service):
    fakes = {}
    for name, resource in (("leads", "leads"), ("sales", "customers"), ("service-desk", "tickets"), ("reporting", "dashboards")):
        fakes[name] = fake_service(name)
        fakes[name].answer("GET", "/openapi.json", body=document(resource, "Thing"))
    client = make_gateway(
        CRM_LEADS_URL=fakes["leads"].url, CRM_SALES_URL=fakes["sales"].url,
        CRM_SERVICE_DESK_URL=fakes["service-desk"].url, CRM_REPORTING_URL=fakes["reporting"].url,
    ).test_client()
    first = client.get("/openapi.json").get_json()
    second = client.get("/openapi.json").get_json()
    assert first == second and first["x-unavailable"] == []
    assert all(len(fake.calls) == 1 for fake in fakes.values())


def test_the_docs_page_lists_every_operation_and_loads_nothing_from_elsewhere(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for text in ("/api/v1/auth/login", "Exchange a username and password for an access token.", "List the leads.",
                 "/api/v1/customers/{customer_id}/overview", 'id="schema-leads.Lead"', "service-desk"):
        assert text in page, text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page
