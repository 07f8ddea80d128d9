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
    "return-visits": "service-desk",
    "agent-groups": "service-desk",
    "agents": "service-desk",
    "skill-requirements": "service-desk",
    "workflow-rules": "service-desk",
    "kb": "service-desk",
    "public": "service-desk",
    "solutions": "service-desk",
    "sla-calendars": "service-desk",
    "sla-policies": "service-desk",
    "dashboards": "reporting",
    "datasets": "reporting",
    "reports": "reporting",
    "boards": "reporting",
    "report-schedules": "reporting",
    "report-files": "reporting",
}

# Resources forwarded without an access token; the owning service still decides what each view allows.
# `track`: the tracked links of materials sent to leads, opened by people who have no account (the
# unguessable token in the path is their only key).
# `public`: the service desk's pages for customers without an account (the knowledge base's public articles).
PUBLIC_RESOURCES: frozenset[str] = frozenset({"track", "public"})
# Paths (resource/first segment) below which anyone may also write (POST, PUT) without a token: the public request
# form. Its service validates and caps the input, rate-limits by the client address the gateway passes on, and
# keys each request by a secret only its requester holds. Every other write below a public resource needs a token.
PUBLIC_WRITE_PATHS: frozenset[str] = frozenset({"public/requests"})
# Uploads larger than the gateway's usual 10 MB cap, by (method, path): the cap the owning service sets
# for them (leads/imports.py: files of up to 50 MB, plus room for the form around it). The service still
# refuses what is too large for it; the gateway only stops refusing it first.
LARGE_UPLOADS: dict[tuple[str, str], int] = {("POST", "/api/v1/leads/imports"): 51 * 1024 * 1024}


def owner_of(path: str) -> str | None:
    """The service owning an API path such as `/api/v1/leads/{lead_id}`, or None."""
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "api" or parts[2] != "v1":
        return None
    return ROUTES.get(parts[3])
