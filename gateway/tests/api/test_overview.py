"""The customer overview composed from sales, leads and the service desk."""
import threading

import pytest
from flask import Flask, jsonify, request

CUSTOMER = {"id": "c-1", "name": "上海示例科技有限公司", "owner_id": "u-1", "lead_id": "l-1"}
LEAD = {"id": "l-1", "company": "上海示例科技有限公司", "status": "converted"}
TICKETS = {"items": [{"id": "t-1", "customer_id": "c-1", "subject": "Invoice export"}], "total": 1}
# What sales lists for c-1, by the path asked; each list endpoint but the customer's own filters by ?customer_id.
SALES_LISTS = {
    "/api/v1/customers/c-1/opportunities": {"items": [{"id": "o-1", "customer_id": "c-1", "stage": "won"}]},
    "/api/v1/orders": {"items": [{"id": "or-1", "customer_id": "c-1"}]},
    "/api/v1/contracts": {"items": [{"id": "k-1", "customer_id": "c-1"}]},
    "/api/v1/installments": {"items": [{"id": "i-1", "contract_id": "k-1"}]},
    "/api/v1/payments": {"items": [{"id": "p-1", "contract_id": "k-1"}]},
    "/api/v1/invoices": {"items": [{"id": "v-1", "contract_id": "k-1"}]},
    "/api/v1/refunds": {"items": [{"id": "r-1", "contract_id": "k-1"}]},
}
TIMELINE = {"items": [{"at": "2026-11-01T08:00:00+00:00", "kind": "customer.created", "actor_id": "u-1"}], "next": None}


@pytest.fixture
def sales(fake_service):
    fake = fake_service("sales")
    fake.answer("GET", "/api/v1/customers/c-1", body=CUSTOMER)
    for path, body in SALES_LISTS.items():
        fake.answer("GET", path, body=body)
    fake.answer("GET", "/api/v1/customers/c-1/timeline", body=TIMELINE)
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


def test_the_overview_has_the_customer_its_lead_deals_money_tickets_and_timeline(make_gateway, sales, leads, desk, headers):
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    response = client.get("/api/v1/customers/c-1/overview", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "customer": CUSTOMER, "lead": LEAD,
        "opportunities": SALES_LISTS["/api/v1/customers/c-1/opportunities"]["items"],
        "orders": SALES_LISTS["/api/v1/orders"]["items"],
        "contracts": SALES_LISTS["/api/v1/contracts"]["items"],
        "installments": SALES_LISTS["/api/v1/installments"]["items"],
        "payments": SALES_LISTS["/api/v1/payments"]["items"],
        "invoices": SALES_LISTS["/api/v1/invoices"]["items"],
        "refunds": SALES_LISTS["/api/v1/refunds"]["items"],
        "tickets": TICKETS["items"], "timeline": TIMELINE["items"], "unavailable": [],
    }
    assert desk.calls[-1]["args"] == {"customer_id": "c-1"}
    calls = [*sales.calls, *leads.calls, *desk.calls]
    assert {call["headers"]["Authorization"] for call in calls} == {headers["Authorization"]}
    assert {call["headers"]["X-Correlation-Id"] for call in calls} == {response.headers["X-Correlation-ID"]}


def test_every_sales_list_is_asked_for_this_customer_only(make_gateway, sales, leads, desk, headers):
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    client.get("/api/v1/customers/c-1/overview", headers=headers)
    asked = {call["path"]: call["args"] for call in sales.calls}
    for path in SALES_LISTS:
        expected = {} if path.startswith("/api/v1/customers/c-1/") else {"customer_id": "c-1"}
        assert asked[path] == expected, path


def test_the_sales_lists_are_asked_at_the_same_time_not_one_after_another(make_gateway, serve, leads, desk, headers):
    # Each list answers only once all of them are waiting: asked one by one, the first would wait in vain.
    together = threading.Barrier(len(SALES_LISTS) + 1, timeout=5)
    app = Flask("sales-in-parallel")

    @app.get("/<path:path>")
    def answer(path):
        if request.path == "/api/v1/customers/c-1":
            return jsonify(CUSTOMER)
        try:
            together.wait()
        except threading.BrokenBarrierError:
            return jsonify({"code": "timeout", "status": 503, "message": "Waited alone.", "errors": {}}), 503
        return jsonify(SALES_LISTS.get(request.path, TIMELINE))

    client = make_gateway(CRM_SALES_URL=serve(app), CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    body = client.get("/api/v1/customers/c-1/overview", headers=headers).get_json()
    assert body["unavailable"] == []
    assert body["orders"] == SALES_LISTS["/api/v1/orders"]["items"]
    assert body["timeline"] == TIMELINE["items"]


def test_a_sales_list_that_fails_names_sales_and_leaves_the_rest_of_the_page(make_gateway, sales, leads, desk, headers):
    sales.answer("GET", "/api/v1/payments", status=503, body={"code": "service_unavailable", "status": 503, "message": "Busy.", "errors": {}})
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    body = client.get("/api/v1/customers/c-1/overview", headers=headers).get_json()
    assert body["payments"] == []
    assert body["unavailable"] == ["sales"]
    assert body["customer"] == CUSTOMER
    assert body["contracts"] == SALES_LISTS["/api/v1/contracts"]["items"]
    assert body["tickets"] == TICKETS["items"]


def test_a_sales_service_without_a_timeline_leaves_it_null_and_is_not_called_unavailable(make_gateway, sales, leads, desk, headers):
    sales.answer("GET", "/api/v1/customers/c-1/timeline", status=404, body={"code": "not_found", "status": 404, "message": "No.", "errors": {}})
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_LEADS_URL=leads.url, CRM_SERVICE_DESK_URL=desk.url).test_client()
    body = client.get("/api/v1/customers/c-1/overview", headers=headers).get_json()
    assert body["timeline"] is None
    assert body["unavailable"] == []
    assert body["opportunities"] == SALES_LISTS["/api/v1/customers/c-1/opportunities"]["items"]


def test_a_secondary_service_that_is_down_leaves_its_part_empty_and_is_named(make_gateway, sales, desk, headers):
    client = make_gateway(CRM_SALES_URL=sales.url, CRM_SERVICE_DESK_URL=desk.url).test_client()  # leads is down
    body = client.get("/api/v1/customers/c-1/overview", headers=headers).get_json()
    assert body["customer"] == CUSTOMER
    assert body["lead"] is None
    assert body["tickets"] == TICKETS["items"]
    assert body["orders"] == SALES_LISTS["/api/v1/orders"]["items"]
    assert body["unavailable"] == ["leads"]


def test_both_secondary_services_down_still_shows_the_customer(make_gateway, sales, headers):
    client = make_gateway(CRM_SALES_URL=sales.url).test_client()
    response = client.get("/api/v1/customers/c-1/overview", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "customer": CUSTOMER, "lead": None, **{key: SALES_LISTS[path]["items"] for key, path in (
            ("opportunities", "/api/v1/customers/c-1/opportunities"), ("orders", "/api/v1/orders"),
            ("contracts", "/api/v1/contracts"), ("installments", "/api/v1/installments"),
            ("payments", "/api/v1/payments"), ("invoices", "/api/v1/invoices"), ("refunds", "/api/v1/refunds"))},
        "tickets": [], "timeline": TIMELINE["items"], "unavailable": ["leads", "service-desk"],
    }


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
