"""GET /api/v1/customers/{id}/overview: the customer, its lead and its tickets, composed from three services."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlencode

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from crm_shared.auth import current_identity
from crm_shared.errors import APIError
from gateway.proxy import forwarded_headers, relay
from gateway.upstream import ServiceUnavailable, Upstream

blp = Blueprint("overview", __name__, url_prefix="/api/v1/customers", description="Composed views")

# The customer's own service must answer; the others add to the page and may be missing from it.
SECONDARY_READ_TIMEOUT = 10.0


class OverviewSchema(Schema):
    customer = fields.Dict(metadata={"description": "the customer, as the sales service shows it"})
    lead = fields.Dict(allow_none=True, metadata={"description": "the lead it came from, if you may see it"})
    tickets = fields.List(fields.Dict(), metadata={"description": "its tickets, as the service desk shows them"})
    unavailable = fields.List(fields.String(), metadata={"description": "services that did not answer"})


def _secondary(upstream: Upstream, service: str, path: str, headers: dict[str, str], query: str = "") -> tuple[str, Any]:
    """("ok", body), ("refused", None) for a 4xx the viewer gets, or ("down", None)."""
    try:
        answer = upstream.request(
            service,
            "GET",
            path,
            headers=headers,
            query=query,
            read_timeout=min(upstream.read_timeout, SECONDARY_READ_TIMEOUT),
        )
    except ServiceUnavailable:
        return "down", None
    if answer.status_code >= 500:
        return "down", None
    if answer.status_code != 200:
        return "refused", None
    try:
        return "ok", answer.json()
    except ValueError:
        return "down", None


def _ticket_list(body: Any) -> list:
    items = body.get("items") if isinstance(body, dict) else body
    return items if isinstance(items, list) else []


@blp.route("/<string:customer_id>/overview")
class CustomerOverview(MethodView):
    @blp.response(200, OverviewSchema)
    def get(self, customer_id):
        """A customer with its lead and tickets; each service decides what you may see."""
        current_identity()
        upstream: Upstream = current_app.extensions["crm.upstream"]
        executor: ThreadPoolExecutor = current_app.extensions["crm.executor"]
        headers = forwarded_headers()
        headers.pop("Content-Type", None)
        headers["Accept"] = "application/json"
        answer = upstream.request("sales", "GET", f"/api/v1/customers/{quote(customer_id, safe='')}", headers=headers)
        if answer.status_code != 200:
            return relay("sales", answer)
        try:
            customer = answer.json()
        except ValueError as error:
            raise APIError(502, "bad_gateway", "The sales service answered with something that is not JSON.") from error
        lead_id = customer.get("lead_id") if isinstance(customer, dict) else None
        lead_call = (
            executor.submit(_secondary, upstream, "leads", f"/api/v1/leads/{quote(str(lead_id), safe='')}", headers)
            if lead_id
            else None
        )
        tickets_call = executor.submit(
            _secondary, upstream, "service-desk", "/api/v1/tickets", headers, urlencode({"customer_id": customer_id})
        )
        unavailable = []
        lead = None
        if lead_call is not None:
            outcome, lead = lead_call.result()
            if outcome == "down":
                unavailable.append("leads")
        outcome, tickets = tickets_call.result()
        if outcome == "down":
            unavailable.append("service-desk")
        return {"customer": customer, "lead": lead, "tickets": _ticket_list(tickets), "unavailable": unavailable}
