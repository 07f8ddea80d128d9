"""HTTP endpoints of payment plans, installments and received payments: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ADMIN, ROLES, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.versioning import etag_header, required_version
from sales import payment_service
from sales.money_schemas import (
    InstallmentListQuerySchema,
    InstallmentListSchema,
    InstallmentSchema,
    MoneyListQuerySchema,
    PaymentCreateSchema,
    PaymentListSchema,
    PaymentPlanCreateSchema,
    PaymentPlanReviseSchema,
    PaymentPlanSchema,
    PaymentSchema,
)

payment_plans_blp = Blueprint("payment_plans", __name__, url_prefix="/api/v1/payment-plans",
                              description="Payment plans (回款计划)")
installments_blp = Blueprint("installments", __name__, url_prefix="/api/v1/installments", description="Installments")
payments_blp = Blueprint("payments", __name__, url_prefix="/api/v1/payments", description="Received payments (回款)")
# Who may call the sellers' endpoints at all; which customer they may act for is `sales.deal_access`.
SELLERS = (ADMIN, SALES_MANAGER, SALES_REP)
ETAG_HEADER = {"ETag": {"description": "the version", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


@payment_plans_blp.route("")
class PaymentPlans(MethodView):
    @payment_plans_blp.arguments(PaymentPlanCreateSchema)
    @payment_plans_blp.response(201, PaymentPlanSchema)
    @require_roles(*SELLERS)
    def post(self, body):
        """The payment plan of a signed or active contract; 422 `installments_must_equal_contract` unless the
        installments add up to the contract's amount exactly, 409 `payment_plan_exists` if it has one."""
        contract, installments = payment_service.create_plan(_uow(), body["contract_id"], body["installments"],
                                                             current_identity())
        return {"contract_id": contract.id, "amount": contract.amount, "currency": contract.currency,
                "installments": installments}


def _plan(contract, installments) -> tuple[dict, dict]:
    ordered = sorted(installments, key=lambda i: (i.status == "void", i.number, i.planned_date))
    body = {"contract_id": contract.id, "amount": contract.amount, "currency": contract.currency,
            "installments": ordered}
    return body, etag_header(payment_service.plan_version(installments))


@payment_plans_blp.route("/<string:contract_id>")
class PaymentPlanOfContract(MethodView):
    @payment_plans_blp.response(200, PaymentPlanSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, contract_id):
        """A contract's plan: its installments, live ones first; the ETag is the plan's version."""
        return _plan(*payment_service.get_plan(_uow(), contract_id, current_identity()))

    @payment_plans_blp.arguments(PaymentPlanReviseSchema)
    @payment_plans_blp.response(200, PaymentPlanSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def put(self, body, contract_id):
        """Plan the unpaid part again; what was paid stays (a partly paid installment is closed at what was paid).

        The new installments must add up to the contract's amount less what was paid (422
        `installments_must_equal_contract`); If-Match with the plan's ETag required (412 if it changed).
        """
        version = required_version("payment plan")
        return _plan(*payment_service.revise_payment_plan(_uow(), contract_id, body["installments"], version,
                                                          current_identity()))


@installments_blp.route("")
class Installments(MethodView):
    @installments_blp.arguments(InstallmentListQuerySchema, location="query", unknown=RAISE)
    @installments_blp.response(200, InstallmentListSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """Installments you may see, by date; filter by contract, customer or status (e.g. overdue)."""
        return {"items": payment_service.list_installments(_uow(), current_identity(), args.get("contract_id"),
                                                           args.get("status"), args.get("customer_id"))}


@installments_blp.route("/<string:installment_id>")
class InstallmentById(MethodView):
    @installments_blp.response(200, InstallmentSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, installment_id):
        """One installment; the ETag is its version."""
        installment = payment_service.get_installment(_uow(), installment_id, current_identity())
        return installment, etag_header(installment.version)


@payments_blp.route("")
class Payments(MethodView):
    @payments_blp.arguments(MoneyListQuerySchema, location="query", unknown=RAISE)
    @payments_blp.response(200, PaymentListSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """Payments you may see, newest first; filter by contract or customer."""
        return {"items": payment_service.list_payments(_uow(), current_identity(), args.get("contract_id"),
                                                       args.get("customer_id"))}

    @payments_blp.arguments(PaymentCreateSchema)
    @payments_blp.response(201, PaymentSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, body):
        """Record money received against a contract, matched to installments (as given, or oldest first).

        409 `payment_exceeds_due` when it is more than is still due, and nothing changes. Where the payment
        approval flow has steps, the payment is `pending_approval` and counted once approved.
        """
        payment = payment_service.record_payment(_uow(), body, current_identity())
        return payment, etag_header(payment.version)


@payments_blp.route("/<string:payment_id>")
class PaymentById(MethodView):
    @payments_blp.response(200, PaymentSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, payment_id):
        """One payment; the ETag is its version."""
        payment = payment_service.get_payment(_uow(), payment_id, current_identity())
        return payment, etag_header(payment.version)
