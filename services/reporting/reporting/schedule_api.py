"""HTTP endpoints of scheduled reports: schedules (owner or admin), their runs, and the files sent to each recipient."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError

from crm_shared.auth import ROLES, current_identity, require_roles
from crm_shared.errors import APIError
from crm_shared.versioning import etag_header, required_version
from reporting import schedule_service
from reporting.schedule_schemas import (
    ReportFileArgsSchema,
    ReportFileListSchema,
    RunListSchema,
    RunSchema,
    ScheduleInputSchema,
    ScheduleListArgsSchema,
    ScheduleListSchema,
    ScheduleSchema,
)

schedules_blp = Blueprint(
    "report-schedules", __name__, url_prefix="/api/v1/report-schedules", description="Saved reports sent to people at set times"
)
files_blp = Blueprint("report-files", __name__, url_prefix="/api/v1/report-files", description="The files scheduled reports made")
BLUEPRINTS = (schedules_blp, files_blp)


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _body(schema: Schema) -> dict:
    """The request body loaded by `schema`; a field that does not fit is a 400 naming it, like every schedule check."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise APIError(400, "malformed_request", "Send the schedule as a JSON object.")
    try:
        return schema.load(payload)
    except ValidationError as error:
        fields = error.normalized_messages()
        summary = "; ".join(f"{name}: {_first(messages)}" for name, messages in fields.items())
        raise APIError(400, "invalid_schedule", f"Some fields are not valid. {summary}", fields) from error


def _first(messages) -> str:
    """The first message of a field, however deep (a list item's errors are keyed by its index)."""
    while isinstance(messages, (list, dict)) and messages:
        messages = messages[0] if isinstance(messages, list) else next(iter(messages.values()))
    return str(messages)


@schedules_blp.route("")
class Schedules(MethodView):
    @schedules_blp.arguments(ScheduleListArgsSchema, location="query")
    @schedules_blp.response(200, ScheduleListSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """The schedules the viewer owns (admins: every schedule), optionally of one report."""
        return {"items": schedule_service.list_schedules(_uow(), current_identity(), args.get("report_id"))}

    @schedules_blp.doc(requestBody={"content": {"application/json": {"schema": ScheduleInputSchema}}})
    @schedules_blp.response(201, ScheduleSchema)
    @require_roles(*ROLES)
    def post(self):
        """Schedule a saved report the caller may read; each recipient gets it computed with their own scope."""
        schedule = schedule_service.create_schedule(_uow(), current_identity(), _body(ScheduleInputSchema()))
        return schedule, 201, etag_header(schedule["version"])


@schedules_blp.route("/<schedule_id>")
class Schedule(MethodView):
    @schedules_blp.response(200, ScheduleSchema)
    @require_roles(*ROLES)
    def get(self, schedule_id):
        schedule = schedule_service.get_schedule(_uow(), current_identity(), schedule_id)
        return schedule, 200, etag_header(schedule["version"])

    @schedules_blp.doc(requestBody={"content": {"application/json": {"schema": ScheduleInputSchema}}})
    @schedules_blp.response(200, ScheduleSchema)
    @require_roles(*ROLES)
    def put(self, schedule_id):
        """Change a schedule (its owner or an admin), with the ETag read in If-Match."""
        version = required_version("report schedule")
        schedule = schedule_service.change_schedule(_uow(), current_identity(), schedule_id, version, _body(ScheduleInputSchema()))
        return schedule, 200, etag_header(schedule["version"])

    @schedules_blp.response(204)
    @require_roles(*ROLES)
    def delete(self, schedule_id):
        """Delete a schedule (its owner or an admin); files already sent stay with their recipients."""
        schedule_service.delete_schedule(_uow(), current_identity(), schedule_id, required_version("report schedule"))


@schedules_blp.route("/<schedule_id>/run")
class ScheduleRun(MethodView):
    @schedules_blp.response(201, RunSchema)
    @require_roles(*ROLES)
    def post(self, schedule_id):
        """Run the schedule now for every recipient, as the timed job would; its next run stays as it was."""
        return schedule_service.run_now(_uow(), current_identity(), schedule_id), 201


@schedules_blp.route("/<schedule_id>/runs")
class ScheduleRuns(MethodView):
    @schedules_blp.response(200, RunListSchema)
    @require_roles(*ROLES)
    def get(self, schedule_id):
        """The schedule's latest runs: who got files, who was skipped and why."""
        return {"items": schedule_service.list_runs(_uow(), current_identity(), schedule_id)}


@files_blp.route("")
class ReportFiles(MethodView):
    @files_blp.arguments(ReportFileArgsSchema, location="query")
    @files_blp.response(200, ReportFileListSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """The files scheduled reports sent to the viewer (admins: all), newest first."""
        return {"items": schedule_service.list_files(_uow(), current_identity(), **args)}


@files_blp.route("/<file_id>")
class ReportFile(MethodView):
    @files_blp.response(200)
    @require_roles(*ROLES)
    def get(self, file_id):
        """Download a file; only its recipient or an admin may."""
        row = schedule_service.get_file(_uow(), current_identity(), file_id)
        disposition = f"attachment; filename*=UTF-8''{quote(row.filename, safe='')}"
        return Response(
            row.content, mimetype=row.media_type, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"}
        )
