"""HTTP endpoint of a ticket's audit trail: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.audit_schemas import AuditPageSchema, AuditQuerySchema
from crm_shared.auth import current_identity, require_roles
from service_desk import audit_service
from service_desk.service import READERS

audit_blp = Blueprint("ticket_audit", __name__, url_prefix="/api/v1/tickets", description="Audit log")


@audit_blp.route("/<string:ticket_id>/audit")
class TicketAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*READERS)
    def get(self, args, ticket_id):
        """Who changed the ticket (status, assignment, replies, notes, rules, SLA), when and how, newest first."""
        uow_factory = current_app.extensions["crm.uow_factory"]
        return audit_service.ticket_audit(uow_factory, ticket_id, current_identity(), args["limit"], args["offset"])
