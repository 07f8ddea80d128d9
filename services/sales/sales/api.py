"""HTTP endpoints of customers and opportunities: parse, call the use case, serialise (with the ETag)."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ROLES, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.versioning import etag_header, optional_version, required_version
from sales import customer_service, pipeline_service, service
from sales.customer_schemas import ContactListSchema, CustomerCreateSchema, CustomerEditSchema, TeamMemberInputSchema
from sales.pipeline_schemas import (
    LineListSchema,
    OpportunityEditSchema,
    OpportunityListQuerySchema,
    OpportunityPageSchema,
    StageHistorySchema,
    StageMoveSchema,
)
from sales.repository import CustomerQuery
from sales.schemas import (
    CustomerListQuerySchema,
    CustomerPageSchema,
    CustomerSchema,
    OpportunityCloseSchema,
    OpportunityCreateSchema,
    OpportunityListSchema,
    OpportunitySchema,
    OwnershipHistorySchema,
    ReturnToPoolSchema,
)

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers")
opportunities_blp = Blueprint(
    "opportunities", __name__, url_prefix="/api/v1/opportunities", description="Opportunities"
)

ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _versioned(resource):
    """The resource with its ETag header."""
    return resource, etag_header(resource.version)


@blp.route("")
class Customers(MethodView):
    # A misspelt filter would otherwise list every customer; refuse unknown parameters instead.
    @blp.arguments(CustomerListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, CustomerPageSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """List the customers you may see: your own and your teams' (managers), where you are a team member, or all (admins)."""
        viewer = current_identity()
        owner = args.get("owner")
        lead_id = args.get("lead_id")
        query = CustomerQuery(
            lead_id=str(lead_id) if lead_id else None,
            owner_id=viewer.user_id if owner == "me" else owner,
            level=args.get("level"),
            limit=args["limit"],
            offset=args["offset"],
        )
        if args.get("team"):
            query = service.with_team(query, args["team"])
        items, total = service.list_customers(_uow(), query, viewer)
        return {"items": items, "total": total}

    @blp.arguments(CustomerCreateSchema)
    @blp.response(201, CustomerSchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def post(self, fields):
        """Create a customer directly: yours, or (managers and admins) a rep's named in owner_id."""
        return _versioned(customer_service.create_customer(_uow(), fields, current_identity()))


@blp.route("/<string:customer_id>")
class CustomerById(MethodView):
    @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, customer_id):
        """One customer, with its contacts and team members; the ETag is its version."""
        return _versioned(service.get_customer(_uow(), customer_id, current_identity()))

    @blp.arguments(CustomerEditSchema)
    @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def patch(self, changes, customer_id):
        """Edit name, level, industry, region, channel or campaign; If-Match required (428 without, 412 if stale)."""
        version = required_version("customer")
        return _versioned(customer_service.edit_customer(_uow(), customer_id, changes, version, current_identity()))


@blp.route("/<string:customer_id>/contacts")
class CustomerContacts(MethodView):
    @blp.arguments(ContactListSchema)
    @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def put(self, body, customer_id):
        """Replace the customer's contacts (exactly one primary); If-Match with the customer's ETag."""
        version = required_version("customer")
        return _versioned(customer_service.replace_contacts(_uow(), customer_id, body["contacts"], version,
                                                            current_identity()))


@blp.route("/<string:customer_id>/team-members/<string:user_id>")
class CustomerTeamMember(MethodView):
    @blp.arguments(TeamMemberInputSchema)
    @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def put(self, body, customer_id, user_id):
        """Give a user read or edit access to the customer, until expires_at if set; If-Match with the customer's ETag."""
        version = required_version("customer")
        return _versioned(customer_service.put_team_member(
            _uow(), customer_id, user_id, body["access"], body.get("expires_at"), version, current_identity()))

    @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def delete(self, customer_id, user_id):
        """Take a user's access to the customer away; If-Match with the customer's ETag."""
        version = required_version("customer")
        return _versioned(customer_service.remove_team_member(_uow(), customer_id, user_id, version, current_identity()))


@blp.route("/<string:customer_id>/return-to-pool")
class ReturnCustomer(MethodView):
    @blp.arguments(ReturnToPoolSchema)
    @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
    @require_roles(SALES_REP, SALES_MANAGER)
    def post(self, body, customer_id):
        """Return your customer to the public pool; 409 `customer_has_won_deal` once it has a won opportunity."""
        return _versioned(service.return_to_pool(_uow(), customer_id, body["reason"], current_identity(),
                                                 optional_version()))


@blp.route("/<string:customer_id>/ownership-history")
class CustomerOwnershipHistory(MethodView):
    @blp.response(200, OwnershipHistorySchema)
    @require_roles(*ROLES)
    def get(self, customer_id):
        """Who owned the customer when, and why it changed hands."""
        return {"items": service.ownership_history(_uow(), customer_id, current_identity())}


@blp.route("/<string:customer_id>/opportunities")
class CustomerOpportunities(MethodView):
    @blp.response(200, OpportunityListSchema)
    @require_roles(*ROLES)
    def get(self, customer_id):
        """The customer's opportunities, newest first."""
        return {"items": service.list_opportunities(_uow(), customer_id, current_identity())}

    @blp.arguments(OpportunityCreateSchema)
    @blp.response(201, OpportunitySchema, headers=ETAG_HEADER)
    @require_roles(*service.OPENERS)
    def post(self, fields, customer_id):
        """Open an opportunity in the first stage: on a customer you may edit, or (service agents) from a ticket."""
        return _versioned(service.open_opportunity(_uow(), customer_id, fields, current_identity()))


@opportunities_blp.route("")
class Opportunities(MethodView):
    @opportunities_blp.arguments(OpportunityListQuerySchema, location="query", unknown=RAISE)
    @opportunities_blp.response(200, OpportunityPageSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """The deals you may see, by owner (`me`), team, customer, status or stage; nearest close date first."""
        viewer = current_identity()
        owner = args.get("owner")
        wanted = pipeline_service.BoardFilter(owner_id=viewer.user_id if owner == "me" else owner,
                                              team_id=args.get("team"), customer_id=args.get("customer_id"))
        items, total = pipeline_service.list_deals(_uow(), wanted, viewer, status=args.get("status"),
                                                   stage=args.get("stage"), limit=args["limit"], offset=args["offset"])
        return {"items": items, "total": total}


@opportunities_blp.route("/<string:opportunity_id>")
class OpportunityById(MethodView):
    @opportunities_blp.response(200, OpportunitySchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, opportunity_id):
        """One opportunity with its product lines; the ETag is its version."""
        return _versioned(service.get_opportunity(_uow(), opportunity_id, current_identity()))

    @opportunities_blp.arguments(OpportunityEditSchema)
    @opportunities_blp.response(200, OpportunitySchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def patch(self, changes, opportunity_id):
        """Edit an open deal's name, amount, currency, close date, competitor or source; If-Match required."""
        version = required_version("opportunity")
        return _versioned(pipeline_service.edit_opportunity(_uow(), opportunity_id, changes, version,
                                                            current_identity()))


@opportunities_blp.route("/<string:opportunity_id>/stage")
class OpportunityStage(MethodView):
    @opportunities_blp.arguments(StageMoveSchema)
    @opportunities_blp.response(200, OpportunitySchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def post(self, body, opportunity_id):
        """Move an open deal to a stage (won/lost close it; lost needs a reason); If-Match required."""
        version = required_version("opportunity")
        return _versioned(pipeline_service.move_stage(_uow(), opportunity_id, body["stage"], body.get("reason"),
                                                      version, current_identity()))


@opportunities_blp.route("/<string:opportunity_id>/stage-history")
class OpportunityStageHistory(MethodView):
    @opportunities_blp.response(200, StageHistorySchema)
    @require_roles(*ROLES)
    def get(self, opportunity_id):
        """Every stage the deal was in: from, to, who and when."""
        return {"items": pipeline_service.stage_history(_uow(), opportunity_id, current_identity())}


@opportunities_blp.route("/<string:opportunity_id>/lines")
class OpportunityLines(MethodView):
    @opportunities_blp.arguments(LineListSchema)
    @opportunities_blp.response(200, OpportunitySchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def put(self, body, opportunity_id):
        """Replace the deal's product lines; its amount becomes their total. If-Match required."""
        version = required_version("opportunity")
        return _versioned(pipeline_service.replace_lines(_uow(), opportunity_id, body["lines"], version,
                                                         current_identity()))


@opportunities_blp.route("/<string:opportunity_id>/close")
class CloseOpportunity(MethodView):
    @opportunities_blp.arguments(OpportunityCloseSchema)
    @opportunities_blp.response(200, OpportunitySchema, headers=ETAG_HEADER)
    @require_roles(*service.SELLERS)
    def post(self, body, opportunity_id):
        """Mark an open deal won or lost (lost needs a reason); 409 `opportunity_closed` if it is no longer open."""
        return _versioned(service.close_opportunity(_uow(), opportunity_id, body["outcome"], body.get("reason"),
                                                    current_identity(), optional_version()))
