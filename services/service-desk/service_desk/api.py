"""HTTP endpoints of the service desk: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ROLES, current_identity, require_roles
from service_desk import service
from service_desk.repository import TicketQuery
from service_desk.schemas import (
    OpportunityRequestSchema,
    TicketCloseSchema,
    TicketCreateSchema,
    TicketListQuerySchema,
    TicketPageSchema,
    TicketSchema,
)

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Tickets")


def _uow():
    return current_app.extensions["crm.uow_factory"]


@blp.route("")
class Tickets(MethodView):
    # A misspelt filter would otherwise list every ticket; refuse unknown parameters instead.
    @blp.arguments(TicketListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, TicketPageSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """List tickets: every ticket, or a sales rep's customers' tickets."""
        customer_id = args.get("customer_id")
        query = TicketQuery(
            customer_id=str(customer_id) if customer_id else None,
            status=args.get("status"),
            limit=args["limit"],
            offset=args["offset"],
        )
        items, total = service.list_tickets(_uow(), query, current_identity())
        return {"items": items, "total": total}

    @blp.arguments(TicketCreateSchema)
    @blp.response(201, TicketSchema)
    @require_roles(*service.OPENERS)
    def post(self, fields):
        """Open a ticket for a customer; 422 `unknown_customer` if the desk does not know it."""
        return service.open_ticket(_uow(), {**fields, "customer_id": str(fields["customer_id"])}, current_identity())


@blp.route("/<string:ticket_id>")
class TicketById(MethodView):
    @blp.response(200, TicketSchema)
    @require_roles(*ROLES)
    def get(self, ticket_id):
        """One ticket."""
        return service.get_ticket(_uow(), ticket_id, current_identity())


@blp.route("/<string:ticket_id>/close")
class CloseTicket(MethodView):
    @blp.arguments(TicketCloseSchema)
    @blp.response(200, TicketSchema)
    @require_roles(*service.CLOSERS)
    def post(self, body, ticket_id):
        """Close a ticket, with an optional resolution; 409 `ticket_closed` if it is closed already."""
        return service.close_ticket(_uow(), ticket_id, body.get("resolution"), current_identity())


@blp.route("/<string:ticket_id>/opportunity-request")
class TicketOpportunityRequest(MethodView):
    @blp.arguments(OpportunityRequestSchema)
    @blp.response(202, TicketSchema)
    @require_roles(*service.REQUESTERS)
    def post(self, request, ticket_id):
        """Ask sales for a deal for the ticket's customer; 409 `opportunity_already_requested` or `customer_in_pool`."""
        return service.request_opportunity(_uow(), ticket_id, request, current_identity())
