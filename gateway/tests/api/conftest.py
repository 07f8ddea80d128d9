"""The gateway in front of a fake of every service, on real ports, for the forwarding tests."""
import pytest


@pytest.fixture
def services(fake_service):
    return {name: fake_service(name) for name in ("leads", "sales", "service-desk", "reporting")}


@pytest.fixture
def gateway(make_gateway, services):
    app = make_gateway(
        CRM_LEADS_URL=services["leads"].url,
        CRM_SALES_URL=services["sales"].url,
        CRM_SERVICE_DESK_URL=services["service-desk"].url,
        CRM_REPORTING_URL=services["reporting"].url,
    )
    return app.test_client()
