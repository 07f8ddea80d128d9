"""The query of every period dashboard: who may ask, and bad parameters refused in the error shape, naming them."""
import pytest

from crm_shared.auth import ROLES

DASHBOARDS = ("acquisition", "sales", "service", "pool", "executive")
FOR_EVERYONE = ("acquisition", "sales", "service", "pool")


@pytest.mark.parametrize("dashboard", FOR_EVERYONE)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_read_the_dashboards_in_its_scope(client, tokens, dashboard, role):
    response = client.get(f"/api/v1/dashboards/{dashboard}?period=last_7_days", headers=tokens.headers("u-1", [role]))

    assert response.status_code == 200
    assert response.get_json()["period"]["time_zone"] == "Asia/Shanghai"


@pytest.mark.parametrize("dashboard", DASHBOARDS)
def test_the_dashboards_need_a_token(client, dashboard):
    response = client.get(f"/api/v1/dashboards/{dashboard}")

    assert response.status_code == 401
    assert response.get_json()["code"] == "authentication_required"


@pytest.mark.parametrize("dashboard", DASHBOARDS)
@pytest.mark.parametrize(
    "query, parameter",
    [
        ("period=next_year", "period"),
        ("period=this_month&from=2026-10-01&to=2026-10-31", "period"),
        ("from=2026-10-01", "to"),
        ("to=2026-10-31", "from"),
        ("from=01/10/2026&to=2026-10-31", "from"),
        ("from=2026-10-31&to=2026-10-01", "to"),
        ("from=2020-01-01&to=2026-10-31", "to"),
        ("scope=everyone", "scope"),
        ("perod=this_month", "perod"),
    ],
)
def test_a_bad_parameter_is_refused_with_400_naming_it(client, tokens, dashboard, query, parameter):
    response = client.get(f"/api/v1/dashboards/{dashboard}?{query}", headers=tokens.headers("boss", ["admin"]))

    assert response.status_code == 400
    body = response.get_json()
    assert (body["code"], body["status"]) == ("invalid_parameter", 400)
    assert list(body["errors"]) == [parameter]
    assert parameter in body["message"]


def test_a_scope_narrows_but_never_widens(client, tokens):
    def scope(roles, asked, teams=()):
        headers = tokens.headers("u-1", roles, teams=teams)
        response = client.get(f"/api/v1/dashboards/sales?scope={asked}", headers=headers)
        return response.get_json()["period"]["scope"]

    assert scope(["executive"], "team") == "team"
    assert scope(["sales_manager"], "all", teams=["t-1"]) == "team"
    assert scope(["sales_manager"], "own", teams=["t-1"]) == "own"
    assert scope(["sales_rep"], "all") == "own"


@pytest.mark.parametrize("dashboard", DASHBOARDS)
def test_the_openapi_document_describes_each_dashboard_and_its_parameters(client, dashboard):
    operation = client.get("/openapi.json").get_json()["paths"][f"/api/v1/dashboards/{dashboard}"]["get"]

    assert operation["summary"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {"period", "from", "to", "scope"}
