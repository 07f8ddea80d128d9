"""HTTP endpoints of lead search, export, duplicate checks, merges and imports."""
import json

from flask import Response, current_app, jsonify, request, stream_with_context, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.errors import APIError
from leads import import_runner, import_service, request_limits, search_service
from leads.exports import csv_stream, xlsx_stream
from leads.imports import MAX_FILE_BYTES
from leads.repository import LeadQuery
from leads.schemas import LeadSchema
from leads.search_schemas import (
    DryRunReportSchema,
    DuplicateCheckSchema,
    ExportQuerySchema,
    ImportFormSchema,
    ImportJobSchema,
    ImportOptionsSchema,
    ImportUploadSchema,
    MatchListSchema,
    MergeRequestSchema,
    SearchPageSchema,
    SearchQuerySchema,
)
from leads.search_service import Search

search_blp = Blueprint("lead_search", __name__, url_prefix="/api/v1/leads",
                       description="Lead search, export, duplicates, merges and imports")

SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)
MANAGERS = (ADMIN, SALES_MANAGER)
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _uow():
    return current_app.extensions["crm.uow_factory"]


@search_blp.before_request
def _limit_uploads():
    # Refuse an oversized upload while it streams in (413), before it is spooled to disk.
    request.max_content_length = MAX_FILE_BYTES + 1024 * 1024


def _search(args: dict) -> Search:
    viewer = current_identity()
    owner = args.get("owner")
    query = LeadQuery(status=args.get("status"), owner_id=viewer.user_id if owner == "me" else owner,
                      channel=args.get("channel"), pool_id=args.get("pool_id"))
    return Search(
        query=query, q=args.get("q"), region=args.get("region"), industry=args.get("industry"),
        campaign=args.get("campaign"), tag=args.get("tag"), created_from=args.get("created_from"),
        created_to=args.get("created_to"), sort=args["sort"], cursor=args.get("cursor"), limit=args["limit"],
    )


@search_blp.route("/search")
class SearchLeads(MethodView):
    @search_blp.arguments(SearchQuerySchema, location="query")
    @search_blp.response(200, SearchPageSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args):
        """Search the leads you may see: free text and filters, keyset pages (pass next_cursor back), capped count."""
        request_limits.count_pool_view(_uow(), current_identity())
        return search_service.search_leads(_uow(), _search(args), current_identity())


@search_blp.route("/export")
class ExportLeads(MethodView):
    @search_blp.arguments(ExportQuerySchema, location="query")
    @search_blp.doc(responses={"200": {"description": "the leads as a file", "content": {
        CONTENT_TYPES["csv"]: {"schema": {"type": "string"}},
        CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}}})
    @require_roles(*SALES_ROLES)
    def get(self, args):
        """Download every lead a search finds as CSV or XLSX, masked as in the list, formulas neutralised."""
        request_limits.count_pool_view(_uow(), current_identity())
        file_format = args.pop("format")
        pages = search_service.export_pages(_uow(), _search(args), current_identity())
        body = csv_stream(pages) if file_format == "csv" else xlsx_stream(pages)
        return Response(stream_with_context(body), mimetype=CONTENT_TYPES[file_format],
                        headers={"Content-Disposition": f'attachment; filename="leads.{file_format}"'})


@search_blp.route("/duplicates/check")
class CheckDuplicates(MethodView):
    @search_blp.arguments(DuplicateCheckSchema)
    @search_blp.response(200, MatchListSchema)
    @require_roles(*SALES_ROLES)
    def post(self, body):
        """Which existing leads a lead with this company, phone or e-mail would duplicate (strong first)."""
        return {"items": search_service.check_duplicates(_uow(), body["company"], body["phone"], body["email"])}


@search_blp.route("/<string:lead_id>/merge")
class MergeLead(MethodView):
    @search_blp.arguments(MergeRequestSchema)
    @search_blp.response(200, LeadSchema)
    @require_roles(*MANAGERS)
    def post(self, body, lead_id):
        """Merge another lead into this one: its history, timeline and follow-ups move here; it becomes `merged`."""
        return search_service.merge_leads(_uow(), lead_id, body["other_id"], current_identity())


@search_blp.route("/imports")
class Imports(MethodView):
    @search_blp.arguments(ImportUploadSchema, location="files")
    @search_blp.arguments(ImportFormSchema, location="form", content_type="multipart/form-data")
    @search_blp.response(202, ImportJobSchema, headers={"Location": {
        "description": "the job to poll", "schema": {"type": "string"}}})
    @search_blp.alt_response(200, schema=DryRunReportSchema, description="the dry run's report")
    @require_roles(*MANAGERS)
    def post(self, upload, form):
        """Import a CSV or XLSX file: a dry run reports every bad row; a real run is queued (202): poll its job."""
        try:
            options = ImportOptionsSchema().load(json.loads(form["options"]))
        except (ValueError, TypeError) as error:
            raise APIError(422, "validation_failed", "options must be a JSON object.", {"options": [str(error)]}) from error
        except ValidationError as error:
            raise APIError(422, "validation_failed", "Some import options are not valid.", {"options": error.messages}) from error
        file = upload["file"]
        data = file.read(MAX_FILE_BYTES + 1)
        name = file.filename or "upload"
        if options["dry_run"]:
            report = import_service.dry_run(_uow(), data, name, options, current_identity())
            return jsonify(DryRunReportSchema().dump(report))
        job = import_runner.queue_import(_uow(), data, name, options, current_identity())
        return job, 202, {"Location": url_for("lead_search.ImportById", import_id=job["id"])}


@search_blp.route("/imports/<string:import_id>")
class ImportById(MethodView):
    @search_blp.response(200, ImportJobSchema)
    @require_roles(*MANAGERS)
    def get(self, import_id):
        """How far an import has got: processed of total, created, skipped, merged, failed rows."""
        return import_service.get_import(_uow(), import_id, current_identity())
