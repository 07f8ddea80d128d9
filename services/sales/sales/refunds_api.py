"""HTTP endpoints of refunds and order cancellation (退单): request, read."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ADMIN, ROLES, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.versioning import etag_header
from sales import refund_service
from sales.money_schemas import MoneyListQuerySchema, RefundCreateSchema, RefundListSchema, RefundSchema

refunds_blp = Blueprint("refunds", __name__, url_prefix="/api/v1/refunds", description="Refunds and cancellations (退单)")
SELLERS = (ADMIN, SALES_MANAGER, SALES_REP)
ETAG_HEADER = {"ETag": {"description": "the version", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


@refunds_blp.route("")
class Refunds(MethodView):
    @refunds_blp.arguments(MoneyListQuerySchema, location="query", unknown=RAISE)
    @refunds_blp.response(200, RefundListSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """Refunds you may see, newest first; filter by contract or customer."""
        return {"items": refund_service.list_refunds(_uow(), current_identity(), args.get("contract_id"),
                                                     args.get("customer_id"))}

    @refunds_blp.arguments(RefundCreateSchema)
    @refunds_blp.response(201, RefundSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, body):
        """Ask to cancel a deal (退单) with a reason, giving back at most what was received.

        Once approved (refund flow), the contract is voided and its order cancelled, installments still
        expecting money are voided, the money given back is a negative payment, invoice requests not issued
        are withdrawn and issued invoices are flagged for reversal. 409 `refund_exceeds_received`,
        `refund_pending`, `payment_pending_approval`, `contract_not_in_force`.
        """
        refund = refund_service.request_refund(_uow(), body, current_identity())
        return refund, etag_header(refund.version)


@refunds_blp.route("/<string:refund_id>")
class RefundById(MethodView):
    @refunds_blp.response(200, RefundSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, refund_id):
        """One refund, with what it changed; the ETag is its version."""
        refund = refund_service.get_refund(_uow(), refund_id, current_identity())
        return refund, etag_header(refund.version)
