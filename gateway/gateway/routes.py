"""Which service owns which resource: `/api/v1/<resource>/...` is forwarded to the service named here."""

ROUTES: dict[str, str] = {
    "leads": "leads",
    "customers": "sales",
    "tickets": "service-desk",
    "dashboards": "reporting",
}


def owner_of(path: str) -> str | None:
    """The service owning an API path such as `/api/v1/leads/{lead_id}`, or None."""
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "api" or parts[2] != "v1":
        return None
    return ROUTES.get(parts[3])
