"""HTTP endpoints of tickets: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import current_identity, require_roles
from crm_shared.versioning import etag_header, optional_version, required_version
from service_desk import service
from service_desk.repository import TicketQuery
from service_desk.schemas import (
    AssignmentSchema,
    CustomerLinkSchema,
    HistoryListSchema,
    MessageCreateSchema,
    MessageListSchema,
    MessageSchema,
    OpportunityRequestSchema,
    SatisfactionInputSchema,
    TicketCloseSchema,
    TicketCreateSchema,
    TicketEditSchema,
    TicketListQuerySchema,
    TicketPageSchema,
    TicketSchema,
    TicketTransitionSchema,
)

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Tickets")

ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _versioned(ticket):
    """The ticket with its ETag header."""
    return ticket, etag_header(ticket.version)


@blp.route("")
class Tickets(MethodView):
    # A misspelt filter would otherwise list every ticket; refuse unknown parameters instead.
    @blp.arguments(TicketListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, TicketPageSchema)
    @require_roles(*service.READERS)
    def get(self, args):
        """List tickets: every ticket for the desk, a sales rep's own customers' tickets for a rep.

        `status` and `tag` repeat (`status=new&status=open`: either status; `tag=a&tag=b`: both tags), and
        `open=true` keeps the tickets not resolved and not closed; an unknown status is refused with 400."""
        viewer = current_identity()
        customer_id = args.get("customer_id")
        assignee_id = args.get("assignee_id")
        query = TicketQuery(
            customer_id=str(customer_id) if customer_id else None,
            statuses=service.statuses_asked(args.get("status"), args.get("open_")),
            priority=args.get("priority"),
            category=args.get("category"),
            assignee_id=viewer.user_id if assignee_id == "me" else assignee_id,
            group_id=args.get("group_id"),
            unassigned=args.get("unassigned", False),
            tags=tuple(dict.fromkeys(args.get("tag") or ())),
            text=args.get("q"),
            limit=args["limit"],
            offset=args["offset"],
        )
        items, total = service.list_tickets(_uow(), query, viewer)
        return {"items": items, "total": total}

    @blp.arguments(TicketCreateSchema)
    @blp.response(201, TicketSchema, headers=ETAG_HEADER)
    @require_roles(*service.OPENERS)
    def post(self, fields):
        """Open a ticket for a customer; 422 `unknown_customer` if the desk does not know it (or it is not yours)."""
        fields = {**fields, "customer_id": str(fields["customer_id"])}
        return _versioned(service.open_ticket(_uow(), fields, current_identity()))


@blp.route("/<string:ticket_id>")
class TicketById(MethodView):
    @blp.response(200, TicketSchema, headers=ETAG_HEADER)
    @require_roles(*service.READERS)
    def get(self, ticket_id):
        """One ticket; the ETag is its version."""
        return _versioned(service.get_ticket(_uow(), ticket_id, current_identity()))

    @blp.arguments(TicketEditSchema)
    @blp.response(200, TicketSchema, headers=ETAG_HEADER)
    @require_roles(*service.WORKERS)
    def patch(self, changes, ticket_id):
        """Change subject, description, priority, category or tags; If-Match required (428 without, 412 if stale)."""
        version = required_version("ticket")
        return _versioned(service.edit_ticket(_uow(), ticket_id, changes, version, current_identity()))


@blp.route("/<string:ticket_id>/transitions")
class TicketTransitions(MethodView):
    @blp.arguments(TicketTransitionSchema)
    @blp.response(200, TicketSchema, headers=ETAG_HEADER)
    @require_roles(*service.WORKERS)
    def post(self, body, ticket_id):
        """Move the ticket to another status; If-Match required; 409 `status_transition_not_allowed`."""
        version = required_version("ticket")
        return _versioned(service.change_status(_uow(), ticket_id, body["status"], version, current_identity(),
                                                resolution=body.get("resolution"), reason=body.get("reason")))


@blp.route("/<string:ticket_id>/close")
class CloseTicket(MethodView):
    @blp.arguments(TicketCloseSchema)
    @blp.response(200, TicketSchema, headers=ETAG_HEADER)
    @require_roles(*service.CLOSERS)
    def post(self, body, ticket_id):
        """Close a ticket, with an optional resolution (If-Match checked if sent); 409 `ticket_closed` if closed already."""
        return _versioned(service.close_ticket(_uow(), ticket_id, body.get("resolution"), current_identity(),
                                               optional_version()))


@blp.route("/<string:ticket_id>/assignment")
class TicketAssignment(MethodView):
    @blp.arguments(AssignmentSchema)
    @blp.response(200, TicketSchema, headers=ETAG_HEADER)
    @require_roles(*service.WORKERS)
    def put(self, body, ticket_id):
        """Give the ticket to an agent and/or a group (null clears); If-Match required."""
        version = required_version("ticket")
        return _versioned(service.assign_ticket(_uow(), ticket_id, body["assignee_id"], body["group_id"], version,
                                                current_identity()))


@blp.route("/<string:ticket_id>/customer")
class TicketCustomer(MethodView):
    @blp.arguments(CustomerLinkSchema)
    @blp.response(200, TicketSchema, headers=ETAG_HEADER)
    @require_roles(*service.WORKERS)
    def put(self, body, ticket_id):
        """Link a public request to a known customer; If-Match required; 409 `customer_already_linked`."""
        version = required_version("ticket")
        return _versioned(service.link_customer(_uow(), ticket_id, str(body["customer_id"]), body.get("contact_id"),
                                                version, current_identity()))


@blp.route("/<string:ticket_id>/messages")
class TicketMessages(MethodView):
    @blp.response(200, MessageListSchema)
    @require_roles(*service.READERS)
    def get(self, ticket_id):
        """The ticket's public replies and internal notes, oldest first."""
        return {"items": service.thread(_uow(), ticket_id, current_identity())}


@blp.route("/<string:ticket_id>/replies")
class TicketReplies(MethodView):
    @blp.arguments(MessageCreateSchema)
    @blp.response(201, MessageSchema)
    @require_roles(*service.WORKERS)
    def post(self, body, ticket_id):
        """Answer the customer publicly; the customer sees it in their view of the request."""
        return service.reply(_uow(), ticket_id, body["body"], current_identity())


@blp.route("/<string:ticket_id>/notes")
class TicketNotes(MethodView):
    @blp.arguments(MessageCreateSchema)
    @blp.response(201, MessageSchema)
    @require_roles(*service.WORKERS)
    def post(self, body, ticket_id):
        """Add an internal note, which the customer never sees."""
        return service.add_note(_uow(), ticket_id, body["body"], current_identity())


@blp.route("/<string:ticket_id>/history")
class TicketHistory(MethodView):
    @blp.response(200, HistoryListSchema)
    @require_roles(*service.READERS)
    def get(self, ticket_id):
        """Every fact of the ticket's life, oldest first."""
        return {"items": service.history(_uow(), ticket_id, current_identity())}


@blp.route("/<string:ticket_id>/satisfaction")
class TicketSatisfaction(MethodView):
    @blp.arguments(SatisfactionInputSchema)
    @blp.response(200, TicketSchema, headers=ETAG_HEADER)
    @require_roles(*service.WORKERS)
    def put(self, body, ticket_id):
        """Record the customer's rating (1-5) on their behalf; 409 `ticket_not_resolved` or `ticket_already_rated`."""
        return _versioned(service.rate(_uow(), ticket_id, body["rating"], body.get("comment"), current_identity()))


@blp.route("/<string:ticket_id>/opportunity-request")
class TicketOpportunityRequest(MethodView):
    @blp.arguments(OpportunityRequestSchema)
    @blp.response(202, TicketSchema)
    @require_roles(*service.REQUESTERS)
    def post(self, request, ticket_id):
        """Ask sales for a deal for the ticket's customer; 409 `opportunity_already_requested` or `customer_in_pool`."""
        return service.request_opportunity(_uow(), ticket_id, request, current_identity())
