"""GET /api/v1/customers/{id}/overview: the customer and everything about it, composed from three services."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Part:
    """One list on the page: which service answers it, and where (`{id}` is the customer id)."""

    key: str
    service: str
    path: str
    filtered_by_query: bool = False


# Every list endpoint named here filters by customer itself, so the gateway never sees other customers' rows.
PARTS: tuple[Part, ...] = (
    Part("opportunities", "sales", "/api/v1/customers/{id}/opportunities"),
    Part("orders", "sales", "/api/v1/orders", filtered_by_query=True),
    Part("contracts", "sales", "/api/v1/contracts", filtered_by_query=True),
    Part("installments", "sales", "/api/v1/installments", filtered_by_query=True),
    Part("payments", "sales", "/api/v1/payments", filtered_by_query=True),
    Part("invoices", "sales", "/api/v1/invoices", filtered_by_query=True),
    Part("refunds", "sales", "/api/v1/refunds", filtered_by_query=True),
    Part("tickets", "service-desk", "/api/v1/tickets", filtered_by_query=True),
)
# Newer than the rest: a sales service without it answers 404, and the page then shows no timeline (null)
# rather than an empty one.
TIMELINE = Part("timeline", "sales", "/api/v1/customers/{id}/timeline")


def _items_schema(what: str) -> fields.List:
    return fields.List(fields.Dict(), metadata={"description": f"its {what}, as the owning service shows them"})


class OverviewSchema(Schema):
    customer = fields.Dict(metadata={"description": "the customer, as the sales service shows it"})
    lead = fields.Dict(allow_none=True, metadata={"description": "the lead it came from, if you may see it"})
    opportunities = _items_schema("opportunities")
    orders = _items_schema("orders")
    contracts = _items_schema("contracts")
    installments = _items_schema("installments")
    payments = _items_schema("payments")
    invoices = _items_schema("invoices")
    refunds = _items_schema("refunds")
    tickets = _items_schema("tickets")
    timeline = fields.List(
        fields.Dict(), allow_none=True,
        metadata={"description": "the first page of what happened to it, newest first; null where sales has no timeline"},
    )
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


def _item_list(body: Any) -> list:
    items = body.get("items") if isinstance(body, dict) else body
    return items if isinstance(items, list) else []


def _ask(executor: ThreadPoolExecutor, upstream: Upstream, part: Part, customer_id: str, headers: dict[str, str]):
    path = part.path.format(id=quote(customer_id, safe=""))
    query = urlencode({"customer_id": customer_id}) if part.filtered_by_query else ""
    return executor.submit(_secondary, upstream, part.service, path, headers, query)


@blp.route("/<string:customer_id>/overview")
class CustomerOverview(MethodView):
    @blp.response(200, OverviewSchema)
    def get(self, customer_id):
        """A customer with its lead, deals, orders, contracts, money, tickets and timeline; each service decides what you may see."""
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
        part_calls = {part: _ask(executor, upstream, part, customer_id, headers) for part in (*PARTS, TIMELINE)}
        down: set[str] = set()
        lead = None
        if lead_call is not None:
            outcome, lead = lead_call.result()
            if outcome == "down":
                down.add("leads")
        composed: dict[str, Any] = {"customer": customer, "lead": lead}
        for part, call in part_calls.items():
            outcome, body = call.result()
            if outcome == "down":
                down.add(part.service)
            if part is TIMELINE:
                composed["timeline"] = _item_list(body) if outcome == "ok" else None
            else:
                composed[part.key] = _item_list(body)
        # Named in a fixed order, so the page (and a test) reads the same list whatever answered first.
        composed["unavailable"] = [service for service in ("sales", "leads", "service-desk") if service in down]
        return composed
