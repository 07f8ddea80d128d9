"""HTTP endpoints of orders: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ADMIN, ROLES, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.versioning import etag_header, required_version
from sales import order_service
from sales.deal_schemas import OrderCreateSchema, OrderListQuerySchema, OrderListSchema, OrderSchema, ReasonSchema

orders_blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders", description="Orders of won opportunities")
# Who may call the sellers' endpoints at all; which customer they may act for is `sales.deal_access`.
SELLERS = (ADMIN, SALES_MANAGER, SALES_REP)
ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _versioned(order):
    return order, etag_header(order.version)


def _uow():
    return current_app.extensions["crm.uow_factory"]


@orders_blp.route("")
class Orders(MethodView):
    @orders_blp.arguments(OrderListQuerySchema, location="query", unknown=RAISE)
    @orders_blp.response(200, OrderListSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """Orders you may see, newest first; filter by opportunity or customer."""
        return {"items": order_service.list_orders(_uow(), current_identity(), args.get("opportunity_id"),
                                                   args.get("customer_id"))}

    @orders_blp.arguments(OrderCreateSchema)
    @orders_blp.response(201, OrderSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, fields):
        """Place an order for a won opportunity; 409 `opportunity_not_won` otherwise. Totals are computed here."""
        return _versioned(order_service.place_order(_uow(), fields, current_identity()))


@orders_blp.route("/<string:order_id>")
class OrderById(MethodView):
    @orders_blp.response(200, OrderSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, order_id):
        """One order with its lines; the ETag is its version."""
        return _versioned(order_service.get_order(_uow(), order_id, current_identity()))


@orders_blp.route("/<string:order_id>/cancel")
class CancelOrder(MethodView):
    @orders_blp.arguments(ReasonSchema)
    @orders_blp.response(200, OrderSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, body, order_id):
        """Cancel a placed order; 409 `order_has_contract` while a contract drafted from it is not voided.

        If-Match required (428 without it, 412 if the order changed since you read it).
        """
        version = required_version("order")
        return _versioned(order_service.cancel_order(_uow(), order_id, body["reason"], version, current_identity()))
