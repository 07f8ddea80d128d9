"""Public resources (tracked links) are forwarded without a token; every other resource still needs one."""
import pytest


def test_a_tracked_link_is_forwarded_to_the_leads_service_without_a_token_and_its_redirect_is_relayed(gateway, services):
    services["leads"].answer("GET", "/api/v1/track/tok-123", status=302, raw="",
                             headers={"Location": "https://example.com/brochure", "Referrer-Policy": "no-referrer"},
                             content_type="text/html")
    response = gateway.get("/api/v1/track/tok-123")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/brochure"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    call = services["leads"].calls[-1]
    assert call["path"] == "/api/v1/track/tok-123" and "Authorization" not in call["headers"]


def test_a_tracked_file_keeps_its_download_headers_through_the_gateway(gateway, services):
    services["leads"].answer("GET", "/api/v1/track/tok-123/file", raw="%PDF-1.7", content_type="application/pdf",
                             headers={"Content-Disposition": "attachment; filename=brochure.pdf",
                                      "X-Content-Type-Options": "nosniff"})
    response = gateway.get("/api/v1/track/tok-123/file")
    assert response.status_code == 200 and response.data == b"%PDF-1.7"
    assert response.headers["Content-Disposition"] == "attachment; filename=brochure.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_services_404_for_an_unknown_tracked_link_reaches_the_caller_in_the_error_shape(gateway, services):
    services["leads"].answer("GET", "/api/v1/track/nope", status=404,
                             body={"code": "not_found", "status": 404, "message": "This link is not valid.", "errors": {}})
    response = gateway.get("/api/v1/track/nope")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/leads"), ("GET", "/api/v1/materials"), ("GET", "/api/v1/campaigns/c-1"),
    ("POST", "/api/v1/materials/m-1/distribute"), ("POST", "/api/v1/track/tok-123"), ("GET", "/api/v1/track"),
])
def test_every_other_resource_and_method_still_needs_a_token(gateway, services, method, path):
    response = gateway.open(path, method=method)
    assert response.status_code == 401 and response.get_json()["code"] == "authentication_required"
    assert all(not fake.calls for fake in services.values())


def test_a_tracked_link_is_forwarded_with_a_valid_token_too(gateway, services, tokens):
    response = gateway.get("/api/v1/track/tok-9", headers=tokens.headers("u-1", ["sales_rep"]))
    assert response.status_code == 200
    assert services["leads"].calls[-1]["path"] == "/api/v1/track/tok-9"
