"""Merging the services' OpenAPI documents into the gateway's."""
from gateway.openapi import MergedDocument, docs_view_model, merge

OWN = {
    "openapi": "3.0.3",
    "paths": {"/api/v1/me": {"get": {"summary": "You", "tags": ["users"], "responses": {"200": {"description": "OK"}}}}},
    "components": {
        "schemas": {"Error": {"type": "object"}},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "tags": [{"name": "users"}],
}


def service_document(resource: str, schema: str) -> dict:
    return {
        "openapi": "3.0.3",
        "paths": {
            f"/api/v1/{resource}": {
                "get": {
                    "summary": f"List {resource}",
                    "tags": [resource],
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
                        "default": {"$ref": "#/components/responses/DEFAULT_ERROR"},
                    },
                }
            },
            "/internal/rebuild": {"post": {"summary": "not routed by the gateway"}},
        },
        "components": {
            "schemas": {
                schema: {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}}},
                "Error": {"type": "object", "properties": {"code": {"type": "string"}}},
            },
            "responses": {"DEFAULT_ERROR": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "tags": [{"name": resource, "description": f"All about {resource}"}],
    }


def test_service_schemas_are_prefixed_with_the_service_and_every_reference_follows():
    merged = merge(OWN, {"leads": service_document("leads", "LeadPage"), "sales": service_document("customers", "CustomerPage")})
    schemas = merged["components"]["schemas"]
    assert {"Error", "leads.Error", "leads.LeadPage", "sales.Error", "sales.CustomerPage"} <= set(schemas)
    assert schemas["leads.LeadPage"]["properties"]["items"]["items"]["$ref"] == "#/components/schemas/leads.Error"
    get = merged["paths"]["/api/v1/customers"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/sales.CustomerPage"
    assert get["responses"]["default"]["$ref"] == "#/components/responses/sales.DEFAULT_ERROR"
    assert merged["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}


def test_only_paths_the_gateway_routes_to_the_service_are_included():
    merged = merge(OWN, {"leads": service_document("leads", "LeadPage"), "sales": service_document("leads", "Impostor")})
    assert "/internal/rebuild" not in merged["paths"]
    assert merged["paths"]["/api/v1/leads"]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
        "$ref"
    ] == "#/components/schemas/leads.LeadPage"
    assert "/api/v1/me" in merged["paths"]


def test_a_service_that_did_not_answer_is_named_under_x_unavailable():
    merged = merge(OWN, {"leads": service_document("leads", "LeadPage"), "reporting": None})
    assert merged["x-unavailable"] == ["reporting"]
    assert [tag["name"] for tag in merged["tags"]] == ["users", "leads"]


def test_the_merged_document_is_rebuilt_only_when_it_is_older_than_its_maximum_age():
    now = [0.0]
    builds = []

    def build():
        builds.append(now[0])
        return {"x-unavailable": []}

    cache = MergedDocument(build, max_age=60, clock=lambda: now[0])
    cache.get()
    now[0] = 59
    cache.get()
    now[0] = 61
    cache.get()
    assert builds == [0.0, 61]


def test_an_incomplete_document_is_kept_only_briefly():
    now = [0.0]
    builds = []

    def build():
        builds.append(now[0])
        return {"x-unavailable": ["sales"]}

    cache = MergedDocument(build, max_age=60, clock=lambda: now[0])
    cache.get()
    now[0] = 6
    cache.get()
    assert builds == [0.0, 6]


def test_the_docs_view_lists_every_operation_with_its_summary_and_schema_links():
    model = docs_view_model(merge(OWN, {"leads": service_document("leads", "LeadPage")}))
    operations = {(op["method"], op["path"]): op for group in model["groups"] for op in group["operations"]}
    assert operations[("GET", "/api/v1/leads")]["summary"] == "List leads"
    assert operations[("GET", "/api/v1/leads")]["responses"][0]["schema"]["ref"] == "leads.LeadPage"
    assert operations[("GET", "/api/v1/me")]["summary"] == "You"
    assert "leads.LeadPage" in [schema["name"] for schema in model["schemas"]]
