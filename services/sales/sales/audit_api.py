"""HTTP endpoints of the audit trails of customers, deals, orders, contracts and money: parse, call, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.audit_schemas import AuditPageSchema, AuditQuerySchema
from crm_shared.auth import ROLES, current_identity, require_roles
from sales import audit_service

audit_blp = Blueprint("sales_audit", __name__, url_prefix="/api/v1", description="Audit log")


def _trail(record_type: str, record_id: str, args: dict) -> dict:
    uow_factory = current_app.extensions["crm.uow_factory"]
    return audit_service.record_audit(uow_factory, record_type, record_id, current_identity(), args["limit"],
                                      args["offset"])


@audit_blp.route("/customers/<string:customer_id>/audit")
class CustomerAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*ROLES)
    def get(self, args, customer_id):
        """Who changed the customer (owner, profile, contacts, team members, follow-ups), newest first, paged."""
        return _trail("customer", customer_id, args)


@audit_blp.route("/opportunities/<string:opportunity_id>/audit")
class OpportunityAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*ROLES)
    def get(self, args, opportunity_id):
        """Who changed the opportunity (stages, edits, lines, closing, follow-ups), newest first, paged."""
        return _trail("opportunity", opportunity_id, args)


@audit_blp.route("/orders/<string:order_id>/audit")
class OrderAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*ROLES)
    def get(self, args, order_id):
        """Who placed or cancelled the order, newest first, paged."""
        return _trail("order", order_id, args)


@audit_blp.route("/contracts/<string:contract_id>/audit")
class ContractAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*ROLES)
    def get(self, args, contract_id):
        """Who changed the contract and its money (approvals, plan, payments, invoices, refunds), newest first."""
        return _trail("contract", contract_id, args)


@audit_blp.route("/payments/<string:payment_id>/audit")
class PaymentAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*ROLES)
    def get(self, args, payment_id):
        """Who recorded and decided the payment, newest first, paged."""
        return _trail("payment", payment_id, args)


@audit_blp.route("/invoices/<string:invoice_id>/audit")
class InvoiceAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*ROLES)
    def get(self, args, invoice_id):
        """Who requested, decided, issued or reversed the invoice, newest first, paged."""
        return _trail("invoice", invoice_id, args)


@audit_blp.route("/refunds/<string:refund_id>/audit")
class RefundAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*ROLES)
    def get(self, args, refund_id):
        """Who requested, decided and completed the refund, newest first, paged."""
        return _trail("refund", refund_id, args)
