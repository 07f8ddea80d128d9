"""HTTP endpoint of the customer's timeline: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ROLES, current_identity, require_roles
from sales import timeline_service
from sales.follow_up_schemas import PageQuerySchema
from sales.timeline_schemas import TimelinePageSchema

timeline_blp = Blueprint("customer_timeline", __name__, url_prefix="/api/v1/customers", description="Customer timeline")


@timeline_blp.route("/<string:customer_id>/timeline")
class CustomerTimeline(MethodView):
    @timeline_blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
    @timeline_blp.response(200, TimelinePageSchema)
    @require_roles(*ROLES)
    def get(self, args, customer_id):
        """What happened to the customer, newest first: ownership, team, deals, follow-ups, orders, contracts, money."""
        items, total = timeline_service.customer_timeline(current_app.extensions["crm.uow_factory"], customer_id,
                                                          current_identity(), args["limit"], args["offset"])
        return {"items": items, "total": total}
