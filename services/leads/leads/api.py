"""HTTP endpoints of the leads: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, current_identity, require_roles
from leads import request_limits, service
from leads.repository import LeadQuery
from leads.schemas import (
    ClaimRequestSchema,
    ConvertRequestSchema,
    LeadCreateSchema,
    LeadListQuerySchema,
    LeadListSchema,
    LeadPageSchema,
    LeadSchema,
    OwnershipHistorySchema,
    ReturnRequestSchema,
)

blp = Blueprint("leads", __name__, url_prefix="/api/v1/leads", description="Leads, claims and returns")

SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)


def _uow():
    return current_app.extensions["crm.uow_factory"]


@blp.route("")
class Leads(MethodView):
    @blp.arguments(LeadListQuerySchema, location="query")
    @blp.response(200, LeadPageSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args):
        """List leads: your pools' leads (contacts masked in public pools) and your own, or every lead for managers."""
        viewer = current_identity()
        request_limits.count_pool_view(_uow(), viewer)
        owner = args.get("owner")
        query = LeadQuery(
            status=args.get("status"),
            owner_id=viewer.user_id if owner == "me" else owner,
            channel=args.get("channel"),
            pool_id=args.get("pool_id"),
            limit=args["limit"],
            offset=args["offset"],
        )
        items, total, capped = service.list_leads(_uow(), query, viewer)
        return {"items": items, "total": total, "total_is_estimate": capped}

    @blp.arguments(LeadCreateSchema)
    @blp.response(201, LeadSchema)
    @require_roles(*SALES_ROLES)
    def post(self, fields):
        """Create a lead in a pool (the default lead pool unless pool_id is given)."""
        return service.create_lead(_uow(), fields)


@blp.route("/claim")
class ClaimLeads(MethodView):
    @blp.arguments(ClaimRequestSchema)
    @blp.response(200, LeadListSchema)
    @require_roles(SALES_REP, SALES_MANAGER)
    def post(self, body):
        """Claim several pool leads at once: all of them or none."""
        request_limits.count_claim(_uow(), current_identity())
        return {"items": service.claim_leads(_uow(), body["lead_ids"], current_identity())}


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
        """Claim a pool lead; 409 if someone else got it first, or the refusing rule's code."""
        request_limits.count_claim(_uow(), current_identity())
        return service.claim_leads(_uow(), [lead_id], current_identity())[0]


@blp.route("/<string:lead_id>/reveal")
class RevealLead(MethodView):
    @blp.response(200, LeadSchema)
    @require_roles(*SALES_ROLES)
    def post(self, lead_id):
        """Open a masked public pool lead in full; counts against your daily open quota once a day."""
        request_limits.count_pool_view(_uow(), current_identity())
        return service.reveal_lead(_uow(), lead_id, current_identity())


@blp.route("/<string:lead_id>/return")
class ReturnLead(MethodView):
    @blp.arguments(ReturnRequestSchema)
    @blp.response(200, LeadSchema)
    @require_roles(SALES_REP, SALES_MANAGER)
    def post(self, body, lead_id):
        """Return your lead to the public pool with one of the pool's reasons."""
        return service.return_lead(_uow(), lead_id, body["reason"], body.get("note"), current_identity())


@blp.route("/<string:lead_id>/convert")
class ConvertLead(MethodView):
    @blp.arguments(ConvertRequestSchema)
    @blp.response(200, LeadSchema)
    @require_roles(SALES_REP, SALES_MANAGER)
    def post(self, body, lead_id):
        """Convert your lead into a customer, optionally naming the first opportunity sales opens with it."""
        return service.convert_lead(_uow(), lead_id, current_identity(), body.get("opportunity"))


@blp.route("/<string:lead_id>/ownership-history")
class LeadOwnershipHistory(MethodView):
    @blp.response(200, OwnershipHistorySchema)
    @require_roles(*SALES_ROLES)
    def get(self, lead_id):
        """Who owned the lead when, and why it changed hands."""
        return {"items": service.ownership_history(_uow(), lead_id, current_identity())}
