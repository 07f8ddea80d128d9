"""HTTP endpoints of the report builder: datasets, previews, saved and shared reports, exports, charts, boards."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from crm_shared.auth import ROLES, current_identity, require_roles
from crm_shared.errors import APIError
from crm_shared.versioning import PreconditionRequired, etag_header, parse_if_match
from reporting import datasets, expressions, report_service
from reporting.config import reporting_time_zone
from reporting.periods import NAMED_PERIODS
from reporting.report_query import AGGREGATES, BUCKETS, OPERATORS, RELATIVE_DAYS
from reporting.report_schemas import (
    BoardInputSchema,
    BoardListSchema,
    BoardSchema,
    ChartArgsSchema,
    ExportArgsSchema,
    PreviewRequestSchema,
    ReportResultSchema,
    SavedReportInputSchema,
    SavedReportListSchema,
    SavedReportSchema,
)

datasets_blp = Blueprint("datasets", __name__, url_prefix="/api/v1/datasets", description="What reports can be built from")
reports_blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports users build, save and share")
boards_blp = Blueprint("boards", __name__, url_prefix="/api/v1/boards", description="Dashboards users put together from reports")
BLUEPRINTS = (datasets_blp, reports_blp, boards_blp)


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _parameters() -> dict[str, Any]:
    """Run-time filter values from `?params={"key": value}` (JSON), so a list or a number keeps its type."""
    text = request.args.get("params")
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise APIError(400, "invalid_parameter", "params must be a JSON object such as {\"period\": \"this_month\"}.") from error
    if not isinstance(value, dict):
        raise APIError(400, "invalid_parameter", "params must be a JSON object such as {\"period\": \"this_month\"}.")
    return value


def _version() -> int:
    version = parse_if_match(request.headers.get("If-Match"))
    if version is None:
        raise PreconditionRequired("report or board")
    return version


def _download(download: report_service.Download) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(download.filename, safe='')}"
    return Response(
        stream_with_context(download.chunks),
        mimetype=download.media_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


class DatasetCatalogSchema(Schema):
    datasets = fields.List(fields.Dict())
    aggregates = fields.List(fields.String())
    buckets = fields.List(fields.String())
    operators = fields.List(fields.String())
    relative_periods = fields.List(fields.String())
    functions = fields.Dict(metadata={"description": "expression functions and how to call them"})


@datasets_blp.route("")
class DatasetCatalog(MethodView):
    @datasets_blp.response(200, DatasetCatalogSchema)
    @require_roles(*ROLES)
    def get(self):
        """Every dataset with its fields, and the aggregates, buckets, filters and functions a report may use."""
        return {
            "datasets": datasets.describe(),
            "aggregates": list(AGGREGATES),
            "buckets": list(BUCKETS),
            "operators": list(OPERATORS),
            "relative_periods": [*RELATIVE_DAYS, *NAMED_PERIODS],
            "functions": dict(expressions.FUNCTIONS),
        }


@reports_blp.route("/preview")
class ReportPreview(MethodView):
    @reports_blp.arguments(PreviewRequestSchema)
    @reports_blp.response(200, ReportResultSchema)
    @require_roles(*ROLES)
    def post(self, body):
        """Run a definition that is not saved yet (at most 200 rows): the builder's live preview."""
        return report_service.preview(_uow(), current_identity(), body, reporting_time_zone())


@reports_blp.route("")
class Reports(MethodView):
    @reports_blp.response(200, SavedReportListSchema)
    @require_roles(*ROLES)
    def get(self):
        """The reports the viewer owns or that are shared with them or their teams."""
        return {"items": report_service.list_reports(_uow(), current_identity())}

    @reports_blp.arguments(SavedReportInputSchema)
    @reports_blp.response(201, SavedReportSchema)
    @require_roles(*ROLES)
    def post(self, body):
        """Save a report; it is checked as it would run for its author."""
        saved = report_service.save_report(_uow(), current_identity(), body, reporting_time_zone())
        return saved, 201, etag_header(saved["version"])


@reports_blp.route("/<report_id>")
class SavedReport(MethodView):
    @reports_blp.response(200, SavedReportSchema)
    @require_roles(*ROLES)
    def get(self, report_id):
        saved = report_service.get_report(_uow(), current_identity(), report_id)
        return saved, 200, etag_header(saved["version"])

    @reports_blp.arguments(SavedReportInputSchema)
    @reports_blp.response(200, SavedReportSchema)
    @require_roles(*ROLES)
    def put(self, body, report_id):
        """Change a report (its owner or an admin), with the ETag read in If-Match."""
        saved = report_service.change_report(_uow(), current_identity(), report_id, _version(), body, reporting_time_zone())
        return saved, 200, etag_header(saved["version"])

    @reports_blp.response(204)
    @require_roles(*ROLES)
    def delete(self, report_id):
        report_service.delete_report(_uow(), current_identity(), report_id, _version())


@reports_blp.route("/<report_id>/result")
class SavedReportResult(MethodView):
    @reports_blp.response(200, ReportResultSchema)
    @require_roles(*ROLES)
    def get(self, report_id):
        """Run the report with the viewer's own data scope; run-time filters in `params` (JSON)."""
        return report_service.run_report(_uow(), current_identity(), report_id, _parameters(), reporting_time_zone())


@reports_blp.route("/<report_id>/export")
class SavedReportExport(MethodView):
    @reports_blp.arguments(ExportArgsSchema, location="query")
    @reports_blp.response(200)
    @require_roles(*ROLES)
    def get(self, args, report_id):
        """Every row of the report as CSV or XLSX, streamed; spreadsheet formulas in text are neutralised."""
        download = report_service.export_report(
            _uow(), current_identity(), report_id, _parameters(), args["format"], reporting_time_zone()
        )
        return _download(download)


@reports_blp.route("/<report_id>/chart")
class SavedReportChart(MethodView):
    @reports_blp.arguments(ChartArgsSchema, location="query")
    @reports_blp.response(200)
    @require_roles(*ROLES)
    def get(self, args, report_id):
        """The report's chart as an SVG or PNG image, drawn from the viewer's own figures."""
        download = report_service.chart_image(
            _uow(), current_identity(), report_id, _parameters(), args["format"], reporting_time_zone()
        )
        return _download(download)


@boards_blp.route("")
class Boards(MethodView):
    @boards_blp.response(200, BoardListSchema)
    @require_roles(*ROLES)
    def get(self):
        return {"items": report_service.list_boards(_uow(), current_identity())}

    @boards_blp.arguments(BoardInputSchema)
    @boards_blp.response(201, BoardSchema)
    @require_roles(*ROLES)
    def post(self, body):
        """Put saved reports the viewer may see on a new board."""
        board = report_service.save_board(_uow(), current_identity(), body)
        return board, 201, etag_header(board["version"])


@boards_blp.route("/<board_id>")
class Board(MethodView):
    @boards_blp.response(200, BoardSchema)
    @require_roles(*ROLES)
    def get(self, board_id):
        board = report_service.get_board(_uow(), current_identity(), board_id)
        return board, 200, etag_header(board["version"])

    @boards_blp.arguments(BoardInputSchema)
    @boards_blp.response(200, BoardSchema)
    @require_roles(*ROLES)
    def put(self, body, board_id):
        board = report_service.change_board(_uow(), current_identity(), board_id, _version(), body)
        return board, 200, etag_header(board["version"])

    @boards_blp.response(204)
    @require_roles(*ROLES)
    def delete(self, board_id):
        report_service.delete_board(_uow(), current_identity(), board_id, _version())
