"""HTTP endpoints of sales: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ROLES, current_identity, require_roles
from sales import service
from sales.repository import CustomerQuery
from sales.schemas import CustomerListQuerySchema, CustomerPageSchema, CustomerSchema

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers")


def _uow():
    return current_app.extensions["crm.uow_factory"]


@blp.route("")
class Customers(MethodView):
    # A misspelt filter would otherwise list every customer; refuse unknown parameters instead.
    @blp.arguments(CustomerListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, CustomerPageSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """List customers: a rep's own, or every customer for the other roles."""
        viewer = current_identity()
        owner = args.get("owner")
        lead_id = args.get("lead_id")
        query = CustomerQuery(
            lead_id=str(lead_id) if lead_id else None,
            owner_id=viewer.user_id if owner == "me" else owner,
            limit=args["limit"],
            offset=args["offset"],
        )
        items, total = service.list_customers(_uow(), query, viewer)
        return {"items": items, "total": total}


@blp.route("/<string:customer_id>")
class CustomerById(MethodView):
    @blp.response(200, CustomerSchema)
    @require_roles(*ROLES)
    def get(self, customer_id):
        """One customer."""
        return service.get_customer(_uow(), customer_id, current_identity())
