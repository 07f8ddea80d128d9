"""HTTP endpoints of the approval engine: the to-do list, a request with its trail, decisions, the flows."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import ADMIN, ROLES, current_identity, require_roles
from crm_shared.versioning import etag_header, required_version
from sales import approval_service
from sales.approvals import APPROVED, CONTRACT, INVOICE, PAYMENT, REFUND, REJECTED, SENT_BACK
from sales.contract_service import ContractApproval
from sales.invoice_service import InvoiceApproval
from sales.payment_service import PaymentApproval
from sales.refund_service import RefundApproval
from sales.deal_schemas import ApprovalListSchema, ApprovalRequestSchema, DecisionSchema, FlowSchema, RefusalSchema

approvals_blp = Blueprint("approvals", __name__, url_prefix="/api/v1/approvals", description="Approvals")

# What each kind of subject does when its request is decided.
SUBJECTS = {CONTRACT: ContractApproval(), PAYMENT: PaymentApproval(), INVOICE: InvoiceApproval(),
            REFUND: RefundApproval()}
ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


@approvals_blp.route("/todo")
class ApprovalTodo(MethodView):
    @approvals_blp.response(200, ApprovalListSchema)
    @require_roles(*ROLES)
    def get(self):
        """Requests waiting on a role you hold (never your own), oldest first."""
        return {"items": approval_service.todo(_uow(), current_identity())}


@approvals_blp.route("/<string:request_id>")
class ApprovalById(MethodView):
    @approvals_blp.response(200, ApprovalRequestSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, request_id):
        """One request with its steps and its audit trail; the ETag is its version."""
        request = approval_service.get_request(_uow(), request_id, current_identity())
        return request, etag_header(request.version)


def _decide(request_id, decision, body):
    """Decisions need If-Match with the request's ETag: two approvers at once, one wins, the other gets 412."""
    version = required_version("approval request")
    request = approval_service.decide(_uow(), SUBJECTS, request_id, decision, body.get("comment"), version,
                                      current_identity(), body.get("step"))
    return request, etag_header(request.version)


@approvals_blp.route("/<string:request_id>/approve")
class Approve(MethodView):
    @approvals_blp.arguments(DecisionSchema)
    @approvals_blp.response(200, ApprovalRequestSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def post(self, body, request_id):
        """Approve the current step (your role, not your own request); the last approval approves the subject."""
        return _decide(request_id, APPROVED, body)


@approvals_blp.route("/<string:request_id>/reject")
class Reject(MethodView):
    @approvals_blp.arguments(RefusalSchema)
    @approvals_blp.response(200, ApprovalRequestSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def post(self, body, request_id):
        """Reject, with a comment: the request closes and the subject hears it."""
        return _decide(request_id, REJECTED, body)


@approvals_blp.route("/<string:request_id>/send-back")
class SendBack(MethodView):
    @approvals_blp.arguments(RefusalSchema)
    @approvals_blp.response(200, ApprovalRequestSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def post(self, body, request_id):
        """Send back to the submitter for changes, with a comment; they edit and submit again."""
        return _decide(request_id, SENT_BACK, body)


@approvals_blp.route("/flows/<string:subject_kind>")
class ApprovalFlow(MethodView):
    @approvals_blp.response(200, FlowSchema)
    @require_roles(*ROLES)
    def get(self, subject_kind):
        """The steps a new request of this kind goes through, and from which amount each applies."""
        return {"subject_kind": subject_kind, "steps": approval_service.get_flow(_uow(), subject_kind)}

    @approvals_blp.arguments(FlowSchema)
    @approvals_blp.response(200, FlowSchema)
    @require_roles(ADMIN)
    def put(self, body, subject_kind):
        """Replace the flow (administrators); requests under way keep the steps they started with."""
        return {"subject_kind": subject_kind,
                "steps": approval_service.replace_flow(_uow(), subject_kind, body["steps"])}
