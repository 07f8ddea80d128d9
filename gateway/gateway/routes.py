"""Which service owns which resource: `/api/v1/<resource>/...` is forwarded to the service named here."""

ROUTES: dict[str, str] = {
    "leads": "leads",
    "pools": "leads",
    "markets": "leads",
    "campaigns": "leads",
    "materials": "leads",
    "track": "leads",
    "agenda": "leads",
    "reminders": "leads",
    "customers": "sales",
    "opportunities": "sales",
    "pipeline": "sales",
    "products": "sales",
    "customer-levels": "sales",
    "orders": "sales",
    "contracts": "sales",
    "approvals": "sales",
    "payment-plans": "sales",
    "installments": "sales",
    "payments": "sales",
    "invoices": "sales",
    "refunds": "sales",
    "targets": "sales",
    "departments": "sales",
    "expenses": "sales",
    "team-views": "sales",
    "tickets": "service-desk",
    "dashboards": "reporting",
}

# Resources forwarded without an access token; the owning service still decides what each view allows.
# `track`: the tracked links of materials sent to leads, opened by people who have no account (the
# unguessable token in the path is their only key).
PUBLIC_RESOURCES: frozenset[str] = frozenset({"track"})


def owner_of(path: str) -> str | None:
    """The service owning an API path such as `/api/v1/leads/{lead_id}`, or None."""
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "api" or parts[2] != "v1":
        return None
    return ROUTES.get(parts[3])
