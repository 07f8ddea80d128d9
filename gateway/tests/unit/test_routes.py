"""The routing table."""
from gateway.routes import PUBLIC_RESOURCES, ROUTES, owner_of


def test_each_resource_belongs_to_its_service():
    assert ROUTES == {
        "leads": "leads", "pools": "leads", "markets": "leads", "campaigns": "leads", "materials": "leads",
        "track": "leads", "agenda": "leads", "reminders": "leads", "customers": "sales", "opportunities": "sales",
        "pipeline": "sales", "products": "sales", "customer-levels": "sales",
        "orders": "sales", "contracts": "sales", "approvals": "sales",
        "payment-plans": "sales", "installments": "sales", "payments": "sales", "invoices": "sales", "refunds": "sales",
        "targets": "sales", "departments": "sales", "expenses": "sales", "team-views": "sales",
        "tickets": "service-desk", "return-visits": "service-desk", "agent-groups": "service-desk", "agents": "service-desk",
        "skill-requirements": "service-desk", "workflow-rules": "service-desk", "kb": "service-desk",
        "public": "service-desk", "solutions": "service-desk",
        "sla-calendars": "service-desk", "sla-policies": "service-desk", "dashboards": "reporting",
        "datasets": "reporting", "reports": "reporting", "boards": "reporting",
        "report-schedules": "reporting", "report-files": "reporting",
    }


def test_only_the_tracked_links_of_materials_and_the_desks_public_pages_are_public():
    assert PUBLIC_RESOURCES == {"track", "public"}
    assert PUBLIC_RESOURCES <= set(ROUTES)


def test_the_owner_of_a_path_is_found_from_its_first_segment_after_the_version():
    assert owner_of("/api/v1/leads/{lead_id}/claim") == "leads"
    assert owner_of("/api/v1/customers") == "sales"
    assert owner_of("/api/v1/customers/{customer_id}/return-to-pool") == "sales"
    assert owner_of("/api/v1/opportunities/{opportunity_id}/close") == "sales"
    assert owner_of("/api/v1/me") is None
    assert owner_of("/health") is None
    assert owner_of("/api/v2/leads") is None
