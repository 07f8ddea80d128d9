"""Forwarding /api/v1/<resource>/... to the owning service, against fake services on real ports."""
import json

import pytest


@pytest.fixture
def headers(tokens):
    return tokens.headers("u-1", ["sales_rep"])


@pytest.mark.parametrize(
    "path, service",
    [("/api/v1/leads", "leads"), ("/api/v1/customers/c-1", "sales"), ("/api/v1/tickets", "service-desk"),
     ("/api/v1/dashboards/channels", "reporting")],
)
def test_each_resource_goes_to_the_service_that_owns_it(gateway, services, headers, path, service):
    response = gateway.get(path, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["echo"]["path"] == path
    assert [call["path"] for call in services[service].calls] == [path]
    assert all(not fake.calls for name, fake in services.items() if name != service)


def test_method_path_query_body_and_the_callers_own_token_are_forwarded(gateway, services, headers):
    response = gateway.post(
        "/api/v1/leads/l-1/claim?dry=1&tag=a%20b",
        data=json.dumps({"note": "上海"}),
        headers={**headers, "Content-Type": "application/json", "If-Match": '"3"', "X-Other": "not forwarded"},
    )
    call = services["leads"].calls[-1]
    assert call["method"] == "POST"
    assert call["path"] == "/api/v1/leads/l-1/claim"
    assert call["query"] == "dry=1&tag=a%20b"
    assert json.loads(call["body"]) == {"note": "上海"}
    assert call["headers"]["Authorization"] == headers["Authorization"]
    assert call["headers"]["Content-Type"] == "application/json"
    assert call["headers"]["If-Match"] == '"3"'
    assert "X-Other" not in call["headers"]
    assert response.status_code == 200


def test_a_correlation_id_is_made_when_missing_forwarded_and_returned(gateway, services, headers):
    response = gateway.get("/api/v1/leads", headers=headers)
    made = response.headers["X-Correlation-ID"]
    assert made and services["leads"].calls[-1]["headers"]["X-Correlation-Id"] == made
    given = gateway.get("/api/v1/leads", headers={**headers, "X-Correlation-ID": "trace-42"})
    assert given.headers["X-Correlation-ID"] == "trace-42"
    assert services["leads"].calls[-1]["headers"]["X-Correlation-Id"] == "trace-42"


def test_the_services_status_body_and_etag_come_back_unchanged(gateway, services, headers):
    services["leads"].answer("GET", "/api/v1/leads/l-1", status=200, body={"id": "l-1"}, headers={"ETag": '"7"'})
    response = gateway.get("/api/v1/leads/l-1", headers={**headers, "If-None-Match": '"6"'})
    assert response.status_code == 200
    assert response.get_json() == {"id": "l-1"}
    assert response.headers["ETag"] == '"7"'
    assert services["leads"].calls[-1]["headers"]["If-None-Match"] == '"6"'


def test_a_service_error_keeps_its_error_shape_and_status(gateway, services, headers):
    error = {"code": "lead_already_claimed", "status": 409, "message": "Someone else has already claimed this lead.", "errors": {}}
    services["leads"].answer("POST", "/api/v1/leads/l-1/claim", status=409, body=error)
    response = gateway.post("/api/v1/leads/l-1/claim", headers=headers)
    assert response.status_code == 409
    assert response.get_json() == error


def test_a_service_error_that_is_not_json_is_turned_into_the_error_shape(gateway, services, headers):
    services["sales"].answer("GET", "/api/v1/customers", status=502, raw="<html>Bad Gateway</html>", content_type="text/html")
    response = gateway.get("/api/v1/customers", headers=headers)
    assert response.status_code == 502
    assert response.get_json() == {
        "code": "bad_gateway", "status": 502, "message": "The sales service answered with HTTP 502.", "errors": {},
    }


def test_a_service_that_is_down_gives_503_naming_it(make_gateway, headers):
    client = make_gateway().test_client()  # every service URL points where nothing listens
    response = client.get("/api/v1/tickets", headers=headers)
    assert response.status_code == 503
    assert response.get_json() == {
        "code": "service_unavailable",
        "status": 503,
        "message": "The service-desk service is not available right now; try again shortly.",
        "errors": {},
    }


def test_a_service_that_answers_too_slowly_gives_504(make_gateway, fake_service, headers):
    slow = fake_service("reporting")
    slow.answer("GET", "/api/v1/dashboards/channels", body={}, delay=1.0)
    client = make_gateway(CRM_REPORTING_URL=slow.url, CRM_GATEWAY_READ_TIMEOUT="0.2").test_client()
    response = client.get("/api/v1/dashboards/channels", headers=headers)
    assert response.status_code == 504
    body = response.get_json()
    assert body["code"] == "service_unavailable"
    assert "reporting" in body["message"]


def test_an_unknown_resource_is_404_with_the_error_shape(gateway, headers, services):
    response = gateway.get("/api/v1/spaceships/1", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
    assert set(response.get_json()) == {"code", "status", "message", "errors"}
    assert not any(fake.calls for fake in services.values())


def test_no_token_or_a_bad_one_is_refused_before_any_service_is_called(gateway, services):
    assert gateway.get("/api/v1/leads").get_json()["code"] == "authentication_required"
    bad = gateway.get("/api/v1/leads", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    assert bad.get_json()["code"] == "invalid_token"
    assert not services["leads"].calls


def test_cookies_set_by_a_service_never_reach_another_callers_request(gateway, services, tokens):
    services["leads"].answer("GET", "/api/v1/leads", body={}, headers={"Set-Cookie": "session=alice; Path=/"})
    gateway.get("/api/v1/leads", headers=tokens.headers("alice", ["sales_rep"]))
    gateway.get("/api/v1/leads/x", headers=tokens.headers("bob", ["sales_rep"]))
    assert "Cookie" not in services["leads"].calls[-1]["headers"]


def test_a_lead_import_may_be_larger_than_other_requests_up_to_the_imports_own_cap(gateway, services, headers):
    twelve_megabytes = b"company,contact_name\n" + b"x" * (12 * 1024 * 1024)
    upload = {**headers, "Content-Type": "text/csv"}
    forwarded = gateway.post("/api/v1/leads/imports", data=twelve_megabytes, headers=upload)
    assert forwarded.status_code == 200
    assert len(services["leads"].calls[-1]["body"]) == len(twelve_megabytes)

    elsewhere = gateway.post("/api/v1/materials", data=twelve_megabytes, headers=upload)
    assert elsewhere.status_code == 413
    assert elsewhere.get_json()["code"] == "payload_too_large" and "10 MB" in elsewhere.get_json()["message"]

    too_large = gateway.post("/api/v1/leads/imports", data=b"x" * (52 * 1024 * 1024), headers=upload)
    assert too_large.status_code == 413
    assert "51 MB" in too_large.get_json()["message"]
    assert len(services["leads"].calls) == 1  # neither refused upload reached the service
