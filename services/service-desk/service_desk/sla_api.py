"""HTTP endpoints of SLA calendars and policies, and a ticket's SLA: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import ROLES, current_identity, require_roles
from crm_shared.versioning import etag_header, required_version
from service_desk import sla_service
from service_desk.sla_schemas import (
    CalendarEditSchema,
    CalendarInputSchema,
    CalendarPageSchema,
    CalendarSchema,
    PolicyEditSchema,
    PolicyInputSchema,
    PolicyPageSchema,
    PolicySchema,
    TicketSlaSchema,
)

calendars_blp = Blueprint("sla_calendars", __name__, url_prefix="/api/v1/sla-calendars",
                          description="SLA calendars: working hours, holidays")
policies_blp = Blueprint("sla_policies", __name__, url_prefix="/api/v1/sla-policies",
                         description="SLA policies: which tickets, which targets")
ticket_sla_blp = Blueprint("ticket_sla", __name__, url_prefix="/api/v1/tickets", description="A ticket's SLA")

ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _versioned(resource):
    return resource, etag_header(resource.version)


@calendars_blp.route("")
class Calendars(MethodView):
    @calendars_blp.response(200, CalendarPageSchema)
    @require_roles(*sla_service.READERS)
    def get(self):
        """List the calendars by name."""
        items = sla_service.list_calendars(_uow())
        return {"items": items, "total": len(items)}

    @calendars_blp.arguments(CalendarInputSchema)
    @calendars_blp.response(201, CalendarSchema, headers=ETAG_HEADER)
    @require_roles(*sla_service.EDITORS)
    def post(self, fields):
        """Create a calendar; 409 `calendar_name_taken`."""
        return _versioned(sla_service.create_calendar(_uow(), fields, current_identity()))


@calendars_blp.route("/<string:calendar_id>")
class CalendarById(MethodView):
    @calendars_blp.response(200, CalendarSchema, headers=ETAG_HEADER)
    @require_roles(*sla_service.READERS)
    def get(self, calendar_id):
        """One calendar; the ETag is its version."""
        return _versioned(sla_service.get_calendar(_uow(), calendar_id))

    @calendars_blp.arguments(CalendarEditSchema(partial=True))
    @calendars_blp.response(200, CalendarSchema, headers=ETAG_HEADER)
    @require_roles(*sla_service.EDITORS)
    def patch(self, changes, calendar_id):
        """Change a calendar; If-Match required (428 without, 412 if stale)."""
        version = required_version("calendar")
        return _versioned(sla_service.edit_calendar(_uow(), calendar_id, changes, version, current_identity()))

    @calendars_blp.response(204)
    @require_roles(*sla_service.EDITORS)
    def delete(self, calendar_id):
        """Delete a calendar no policy uses (409 `calendar_in_use`); If-Match required."""
        version = required_version("calendar")
        sla_service.delete_calendar(_uow(), calendar_id, version)


@policies_blp.route("")
class Policies(MethodView):
    @policies_blp.response(200, PolicyPageSchema)
    @require_roles(*sla_service.READERS)
    def get(self):
        """List the policies in the order they are considered."""
        items = sla_service.list_policies(_uow())
        return {"items": items, "total": len(items)}

    @policies_blp.arguments(PolicyInputSchema)
    @policies_blp.response(201, PolicySchema, headers=ETAG_HEADER)
    @require_roles(*sla_service.EDITORS)
    def post(self, fields):
        """Create a policy; 409 `policy_name_taken`, 422 for an unknown calendar or no target."""
        return _versioned(sla_service.create_policy(_uow(), fields, current_identity()))


@policies_blp.route("/<string:policy_id>")
class PolicyById(MethodView):
    @policies_blp.response(200, PolicySchema, headers=ETAG_HEADER)
    @require_roles(*sla_service.READERS)
    def get(self, policy_id):
        """One policy; the ETag is its version."""
        return _versioned(sla_service.get_policy(_uow(), policy_id))

    @policies_blp.arguments(PolicyEditSchema(partial=True))
    @policies_blp.response(200, PolicySchema, headers=ETAG_HEADER)
    @require_roles(*sla_service.EDITORS)
    def patch(self, changes, policy_id):
        """Change a policy; If-Match required (428 without, 412 if stale)."""
        version = required_version("policy")
        return _versioned(sla_service.edit_policy(_uow(), policy_id, changes, version, current_identity()))

    @policies_blp.response(204)
    @require_roles(*sla_service.EDITORS)
    def delete(self, policy_id):
        """Delete a policy; If-Match required."""
        version = required_version("policy")
        sla_service.delete_policy(_uow(), policy_id, version)


@ticket_sla_blp.route("/<string:ticket_id>/sla")
class TicketSla(MethodView):
    @ticket_sla_blp.response(200, TicketSlaSchema)
    @require_roles(*ROLES)
    def get(self, ticket_id):
        """The ticket's SLA now: per metric the target, deadline, elapsed and remaining business minutes, state."""
        return sla_service.get_ticket_sla(_uow(), ticket_id, current_identity())


BLUEPRINTS = [calendars_blp, policies_blp, ticket_sla_blp]
