"""HTTP endpoint of a lead's audit trail: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.audit_schemas import AuditPageSchema, AuditQuerySchema
from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, current_identity, require_roles
from leads import audit_service

SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)

audit_blp = Blueprint("lead_audit", __name__, url_prefix="/api/v1/leads", description="Audit log")


@audit_blp.route("/<string:lead_id>/audit")
class LeadAudit(MethodView):
    @audit_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @audit_blp.response(200, AuditPageSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args, lead_id):
        """Who changed the lead, when and how (every event and change about it), newest first, paged."""
        uow_factory = current_app.extensions["crm.uow_factory"]
        return audit_service.lead_audit(uow_factory, lead_id, current_identity(), args["limit"], args["offset"])
