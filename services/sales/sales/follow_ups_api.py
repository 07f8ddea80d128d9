"""HTTP endpoints of follow-ups on customers and their opportunities: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ROLES, current_identity, require_roles
from sales import follow_up_service
from sales.follow_up_schemas import FollowUpCreateSchema, FollowUpPageSchema, FollowUpSchema, PageQuerySchema
from sales.service import SELLERS

follow_ups_blp = Blueprint("follow_ups", __name__, url_prefix="/api/v1", description="Follow-ups")


def _uow():
    return current_app.extensions["crm.uow_factory"]


@follow_ups_blp.route("/customers/<string:customer_id>/follow-ups")
class CustomerFollowUps(MethodView):
    @follow_ups_blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
    @follow_ups_blp.response(200, FollowUpPageSchema)
    @require_roles(*ROLES)
    def get(self, args, customer_id):
        """The customer's follow-ups, newest first, paged."""
        items, total = follow_up_service.customer_follow_ups(_uow(), customer_id, current_identity(), args["limit"],
                                                             args["offset"])
        return {"items": items, "total": total}

    @follow_ups_blp.arguments(FollowUpCreateSchema)
    @follow_ups_blp.response(201, FollowUpSchema)
    @require_roles(*SELLERS)
    def post(self, fields, customer_id):
        """Record a call, visit, email, message, meeting or note on a customer you may edit."""
        return follow_up_service.record_follow_up(_uow(), customer_id, fields, current_identity())


@follow_ups_blp.route("/opportunities/<string:opportunity_id>/follow-ups")
class OpportunityFollowUps(MethodView):
    @follow_ups_blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
    @follow_ups_blp.response(200, FollowUpPageSchema)
    @require_roles(*ROLES)
    def get(self, args, opportunity_id):
        """The follow-ups about one opportunity, newest first, paged."""
        items, total = follow_up_service.opportunity_follow_ups(_uow(), opportunity_id, current_identity(),
                                                                args["limit"], args["offset"])
        return {"items": items, "total": total}
