"""HTTP endpoints of return visits (回访): parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import current_identity, require_roles
from service_desk import return_visit_service
from service_desk.return_visit_repository import ReturnVisitQuery
from service_desk.return_visit_schemas import (
    ReturnVisitCompleteSchema,
    ReturnVisitCreateSchema,
    ReturnVisitListSchema,
    ReturnVisitPageSchema,
    ReturnVisitQuerySchema,
    ReturnVisitSchema,
)
from service_desk.service import READERS, WORKERS

return_visits_blp = Blueprint("return_visits", __name__, url_prefix="/api/v1",
                              description="Return visits")


def _uow():
    return current_app.extensions["crm.uow_factory"]


@return_visits_blp.route("/tickets/<string:ticket_id>/return-visits")
class TicketReturnVisits(MethodView):
    @return_visits_blp.response(200, ReturnVisitListSchema)
    @require_roles(*READERS)
    def get(self, ticket_id):
        """The ticket's return visits, by due time."""
        return {"items": return_visit_service.of_ticket(_uow(), ticket_id, current_identity())}

    @return_visits_blp.arguments(ReturnVisitCreateSchema)
    @return_visits_blp.response(201, ReturnVisitSchema)
    @require_roles(*WORKERS)
    def post(self, body, ticket_id):
        """Schedule a call back to the customer of a resolved or closed ticket; 409 `ticket_not_resolved`."""
        return return_visit_service.schedule(_uow(), ticket_id, body["due_at"], body["assignee_id"], body.get("note"),
                                             current_identity())


@return_visits_blp.route("/return-visits")
class ReturnVisits(MethodView):
    @return_visits_blp.arguments(ReturnVisitQuerySchema, location="query", unknown=RAISE)
    @return_visits_blp.response(200, ReturnVisitPageSchema)
    @require_roles(*WORKERS)
    def get(self, args):
        """Return visits by status, assignee (`me`) and due time; the due ones: status=scheduled&due_before=now."""
        viewer = current_identity()
        assignee_id = args.get("assignee_id")
        query = ReturnVisitQuery(status=args.get("status"), due_before=args.get("due_before"),
                                 assignee_id=viewer.user_id if assignee_id == "me" else assignee_id,
                                 limit=args["limit"], offset=args["offset"])
        items, total = return_visit_service.listed(_uow(), query, viewer)
        return {"items": items, "total": total}


@return_visits_blp.route("/return-visits/<string:visit_id>/complete")
class CompleteReturnVisit(MethodView):
    @return_visits_blp.arguments(ReturnVisitCompleteSchema)
    @return_visits_blp.response(200, ReturnVisitSchema)
    @require_roles(*WORKERS)
    def post(self, body, visit_id):
        """Record what came of the visit; 409 `return_visit_completed` the second time."""
        return return_visit_service.complete(_uow(), visit_id, body["outcome"], body.get("note"), current_identity())
