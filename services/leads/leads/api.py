"""HTTP endpoints of the lead pool: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, current_identity, require_roles
from leads import service
from leads.repository import LeadQuery
from leads.schemas import LeadCreateSchema, LeadListQuerySchema, LeadPageSchema, LeadSchema

blp = Blueprint("leads", __name__, url_prefix="/api/v1/leads", description="Leads and the lead pool")

SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)


def _uow():
    return current_app.extensions["crm.uow_factory"]


@blp.route("")
class Leads(MethodView):
    @blp.arguments(LeadListQuerySchema, location="query")
    @blp.response(200, LeadPageSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args):
        """List leads: the pool and your own, or every lead for managers."""
        viewer = current_identity()
        owner = args.get("owner")
        query = LeadQuery(
            status=args.get("status"),
            owner_id=viewer.user_id if owner == "me" else owner,
            channel=args.get("channel"),
            limit=args["limit"],
            offset=args["offset"],
        )
        items, total = service.list_leads(_uow(), query, viewer)
        return {"items": items, "total": total}

    @blp.arguments(LeadCreateSchema)
    @blp.response(201, LeadSchema)
    @require_roles(*SALES_ROLES)
    def post(self, fields):
        """Create a lead in the pool."""
        return service.create_lead(_uow(), fields)


@blp.route("/<string:lead_id>")
class LeadById(MethodView):
    @blp.response(200, LeadSchema)
    @require_roles(*SALES_ROLES)
    def get(self, lead_id):
        """One lead."""
        return service.get_lead(_uow(), lead_id, current_identity())


@blp.route("/<string:lead_id>/claim")
class ClaimLead(MethodView):
    @blp.response(200, LeadSchema)
    @require_roles(SALES_REP, SALES_MANAGER)
    def post(self, lead_id):
        """Claim a pool lead; 409 if someone else got it first."""
        return service.claim_lead(_uow(), lead_id, current_identity())


@blp.route("/<string:lead_id>/convert")
class ConvertLead(MethodView):
    @blp.response(200, LeadSchema)
    @require_roles(SALES_REP, SALES_MANAGER)
    def post(self, lead_id):
        """Convert your lead into a customer."""
        return service.convert_lead(_uow(), lead_id, current_identity())
