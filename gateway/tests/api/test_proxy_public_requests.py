"""The public request form is forwarded to the service desk without a token; nothing else public may be written."""
import pytest

from gateway.routes import PUBLIC_RESOURCES, PUBLIC_WRITE_PATHS, ROUTES

FORM = {"name": "Li Wei", "email": "li@example.com", "subject": "Help", "description": "It broke."}


def test_the_public_write_paths_are_only_the_request_form_and_belong_to_a_public_resource():
    assert PUBLIC_WRITE_PATHS == {"public/requests"}
    assert {path.split("/")[0] for path in PUBLIC_WRITE_PATHS} <= PUBLIC_RESOURCES <= set(ROUTES)
    assert ROUTES["public"] == "service-desk"


def test_a_request_is_sent_without_a_token_and_the_acknowledgement_is_relayed(gateway, services):
    desk = services["service-desk"]
    desk.answer("POST", "/api/v1/public/requests", status=202,
                body={"number": "SD-2026-000001", "access_token": "secret", "status": "new"})
    response = gateway.post("/api/v1/public/requests", json=FORM)
    assert response.status_code == 202 and response.get_json()["number"] == "SD-2026-000001"
    call = desk.calls[-1]
    assert call["path"] == "/api/v1/public/requests" and "Authorization" not in call["headers"]
    assert call["body"] and "li@example.com" in call["body"]


def test_reading_answering_and_rating_a_request_need_no_token_and_keep_the_query(gateway, services):
    desk = services["service-desk"]
    assert gateway.get("/api/v1/public/requests/SD-2026-000001?token=abc").status_code == 200
    assert gateway.post("/api/v1/public/requests/SD-2026-000001/replies?token=abc", json={"body": "hi"}).status_code == 200
    assert gateway.put("/api/v1/public/requests/SD-2026-000001/satisfaction?token=abc",
                       json={"rating": 5}).status_code == 200
    assert [(c["method"], c["path"], c["args"]) for c in desk.calls] == [
        ("GET", "/api/v1/public/requests/SD-2026-000001", {"token": "abc"}),
        ("POST", "/api/v1/public/requests/SD-2026-000001/replies", {"token": "abc"}),
        ("PUT", "/api/v1/public/requests/SD-2026-000001/satisfaction", {"token": "abc"}),
    ]


def test_the_client_address_is_set_by_the_gateway_never_taken_from_the_caller(gateway, services):
    gateway.post("/api/v1/public/requests", json=FORM, headers={"X-Forwarded-For": "1.2.3.4"},
                 environ_base={"REMOTE_ADDR": "198.51.100.23"})
    assert services["service-desk"].calls[-1]["headers"]["X-Forwarded-For"] == "198.51.100.23"


def test_a_services_429_and_its_retry_after_reach_the_caller(gateway, services):
    services["service-desk"].answer("POST", "/api/v1/public/requests", status=429, headers={"Retry-After": "120"},
                                    body={"code": "rate_limited", "status": 429, "message": "Too many", "errors": {}})
    response = gateway.post("/api/v1/public/requests", json=FORM)
    assert response.status_code == 429 and response.headers["Retry-After"] == "120"


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/tickets"), ("POST", "/api/v1/tickets"), ("PATCH", "/api/v1/public/requests/SD-2026-000001"),
    ("DELETE", "/api/v1/public/requests/SD-2026-000001"), ("POST", "/api/v1/public/kb/articles"),
    ("PUT", "/api/v1/public/other"), ("GET", "/api/v1/public"), ("POST", "/api/v1/return-visits/v-1/complete"),
])
def test_every_other_write_and_resource_still_needs_a_token(gateway, services, method, path):
    response = gateway.open(path, method=method, json={})
    assert response.status_code == 401, response.get_json()
    assert all(not fake.calls for fake in services.values())
