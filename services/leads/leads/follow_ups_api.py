"""HTTP endpoints of follow-ups, the lead timeline and the rep's agenda of reminders."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, current_identity, require_roles
from leads import follow_up_service
from leads.follow_up_schemas import (
    AgendaSchema,
    FollowUpCreateSchema,
    FollowUpPageSchema,
    FollowUpSchema,
    PageQuerySchema,
    ReminderSchema,
    SnoozeRequestSchema,
    TimelinePageSchema,
)

follow_ups_blp = Blueprint("follow_ups", __name__, url_prefix="/api/v1/leads",
                           description="Follow-ups and the timeline of a lead")
agenda_blp = Blueprint("agenda", __name__, url_prefix="/api/v1", description="Your agenda of reminders")

SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _page(page) -> dict:
    return {"items": page.items, "next_cursor": page.next_cursor.encode() if page.next_cursor else None}


@follow_ups_blp.route("/<string:lead_id>/follow-ups")
class LeadFollowUps(MethodView):
    @follow_ups_blp.arguments(PageQuerySchema, location="query")
    @follow_ups_blp.response(200, FollowUpPageSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args, lead_id):
        """The lead's follow-ups, newest first (pass next_cursor as `before` for the next page)."""
        return _page(follow_up_service.follow_ups_of(_uow(), lead_id, args.get("before"), args["limit"],
                                                     current_identity()))

    @follow_ups_blp.arguments(FollowUpCreateSchema)
    @follow_ups_blp.response(201, FollowUpSchema)
    @require_roles(*SALES_ROLES)
    def post(self, fields, lead_id):
        """Log a call, visit, email, message, meeting or note on your lead (managers: on any lead)."""
        return follow_up_service.log_follow_up(_uow(), lead_id, fields, current_identity())


@follow_ups_blp.route("/<string:lead_id>/timeline")
class LeadTimeline(MethodView):
    @follow_ups_blp.arguments(PageQuerySchema, location="query")
    @follow_ups_blp.response(200, TimelinePageSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args, lead_id):
        """Everything that happened to the lead, newest first (pass next_cursor as `before` for the next page)."""
        return _page(follow_up_service.timeline_of(_uow(), lead_id, args.get("before"), args["limit"],
                                                   current_identity()))


@agenda_blp.route("/agenda")
class Agenda(MethodView):
    @agenda_blp.response(200, AgendaSchema)
    @require_roles(*SALES_ROLES)
    def get(self):
        """Your open reminders in your business day: overdue, due today, and the next 7 days."""
        return follow_up_service.agenda(_uow(), current_identity())


@agenda_blp.route("/reminders/<string:reminder_id>/complete")
class CompleteReminder(MethodView):
    @agenda_blp.response(200, ReminderSchema)
    @require_roles(*SALES_ROLES)
    def post(self, reminder_id):
        """Mark your reminder done."""
        return follow_up_service.complete_reminder(_uow(), reminder_id, current_identity())


@agenda_blp.route("/reminders/<string:reminder_id>/snooze")
class SnoozeReminder(MethodView):
    @agenda_blp.arguments(SnoozeRequestSchema)
    @agenda_blp.response(200, ReminderSchema)
    @require_roles(*SALES_ROLES)
    def post(self, body, reminder_id):
        """Put your reminder off until a later time; it is announced again then."""
        return follow_up_service.snooze_reminder(_uow(), reminder_id, body["until"], current_identity())
