"""The customer overview composed from sales, leads and the service desk."""
import pytest

CUSTOMER = {"id": "c-1", "name": "上海示例科技有限公司", "owner_id": "u-1", "lead_id": "l-1"}
LEAD = {"id": "l-1", "company": "上海示例科技有限公司", "status": "converted"}
TICKETS = {"items": [{"id": "t-1", "customer_id": "c-1", "subject": "Invoice export"}], "total": 1}


@pytest.fixture
def sales(fake_service):
    fake = fake_service("sales")
    fake.answer("GET", "/api/v1/customers/c-1", body=CUSTOMER)
    return fake


@pytest.fixture
def leads(fake_service):
    fake = fake_service("leads")
    fake.answer("GET", "/api/v1/leads/l-1", body=LEAD)
    return fake


@pytest.fixture
def desk(fake_service):
    fake = fake_service("service-desk")
    fake.answer("GET", "/api/v1/tickets", body=TICKETS)
    return fake


@pytest.fixture
def headers(tokens):
    return tokens.headers("u-1", ["sales_rep"])


def test_the_overview_has_the_customer_its_lead_and_its_tickets(make_gateway, sales, leads, desk, headers):
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    response = client.get("/api/v1/customers/c-1/overview", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"customer": CUSTOMER, "lead": LEAD, "tickets": TICKETS["items"], "unavailable": []}
    assert desk.calls[-1]["args"] == {"customer_id": "c-1"}
    for fake in (sales, leads, desk):
        assert fake.calls[-1]["headers"]["Authorization"] == headers["Authorization"], fake.name
    correlation = {fake.calls[-1]["headers"]["X-Correlation-Id"] for fake in (sales, leads, desk)}
    assert correlation == {response.headers["X-Correlation-ID"]}


def test_a_secondary_service_that_is_down_leaves_its_part_empty_and_is_named(make_gateway, sales, desk, headers):
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_SERVICE_DESK_URL=desk.url).test_client()  # leads is down
    body = client.get("/api/v1/customers/c-1/overview", headers=headers).get_json()
    assert body["customer"] == CUSTOMER
    assert body["lead"] is None
    assert body["tickets"] == TICKETS["items"]
    assert body["unavailable"] == ["leads"]


def test_both_secondary_services_down_still_shows_the_customer(make_gateway, sales, headers):
    client = make_gateway(CRM_SALES_URL=sales.url).test_client()
    response = client.get("/api/v1/customers/c-1/overview", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"customer": CUSTOMER, "lead": None, "tickets": [], "unavailable": ["leads", "service-desk"]}


def test_a_lead_the_viewer_may_not_see_is_null_without_calling_leads_unavailable(make_gateway, sales, fake_service, desk, headers):
    leads = fake_service("leads")
    leads.answer("GET", "/api/v1/leads/l-1", status=404, body={"code": "not_found", "status": 404, "message": "No lead", "errors": {}})
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    body = client.get("/api/v1/customers/c-1/overview", headers=headers).get_json()
    assert body["lead"] is None
    assert body["unavailable"] == []


def test_a_customer_without_a_lead_does_not_ask_the_leads_service(make_gateway, fake_service, leads, desk, headers):
    sales = fake_service("sales")
    sales.answer("GET", "/api/v1/customers/c-2", body={"id": "c-2", "lead_id": None})
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    body = client.get("/api/v1/customers/c-2/overview", headers=headers).get_json()
    assert body["lead"] is None and body["unavailable"] == []
    assert not leads.calls


def test_when_sales_is_down_the_overview_is_503(make_gateway, leads, desk, headers):
    client = make_gateway(CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    response = client.get("/api/v1/customers/c-1/overview", headers=headers)
    assert response.status_code == 503
    assert response.get_json()["code"] == "service_unavailable"
    assert "sales" in response.get_json()["message"]
    assert not leads.calls and not desk.calls


@pytest.mark.parametrize("status, code", [(404, "not_found"), (403, "forbidden")])
def test_a_customer_sales_will_not_show_is_passed_through(make_gateway, fake_service, leads, desk, headers, status, code):
    sales = fake_service("sales")
    error = {"code": code, "status": status, "message": "No.", "errors": {}}
    sales.answer("GET", "/api/v1/customers/c-9", status=status, body=error)
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    response = client.get("/api/v1/customers/c-9/overview", headers=headers)
    assert response.status_code == status
    assert response.get_json() == error
    assert not leads.calls and not desk.calls


def test_the_overview_needs_a_token(make_gateway, sales):
    response = make_gateway(CRM_SALES_URL=sales.url).test_client().get("/api/v1/customers/c-1/overview")
    assert response.status_code == 401
    assert not sales.calls


def test_a_customer_answer_that_is_not_json_is_a_bad_gateway_not_a_crash(make_gateway, fake_service, headers):
    sales = fake_service("sales")
    sales.answer("GET", "/api/v1/customers/c-1", raw="<html>oops</html>", content_type="text/html")
    response = make_gateway(CRM_SALES_URL=sales.url).test_client().get("/api/v1/customers/c-1/overview", headers=headers)
    assert response.status_code == 502
    assert response.get_json()["code"] == "bad_gateway"
