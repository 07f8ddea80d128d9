"""Request and response schemas of lead search, export, duplicates, merges and imports."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from leads.domain import STATUSES
from leads.imports import FIELDS, ON_DUPLICATE, SKIP
from leads.schemas import LeadSchema
from leads.search import SORTS


class SearchQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=200), metadata={
        "description": "free text over company, contact, phone digits, e-mail and notes; 3+ characters, or 2 Chinese"})
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "default: all but merged"})
    pool_id = fields.String()
    owner = fields.String(metadata={"description": "a user id, or `me`"})
    region = fields.String()
    industry = fields.String()
    channel = fields.String()
    campaign = fields.String()
    tag = fields.String()
    created_from = fields.AwareDateTime(metadata={"description": "inclusive, ISO 8601 with zone"})
    created_to = fields.AwareDateTime(metadata={"description": "exclusive"})
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(SORTS))
    cursor = fields.String(validate=validate.Length(max=1000), metadata={"description": "next_cursor of the page before"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ExportQuerySchema(SearchQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class SearchPageSchema(Schema):
    items = fields.List(fields.Nested(LeadSchema))
    total = fields.Integer(metadata={"description": "exact up to 10,000 when quickly counted; else an estimate "
                                                    "(total_is_estimate)"})
    total_is_estimate = fields.Boolean()
    next_cursor = fields.String(allow_none=True)


class DuplicateCheckSchema(Schema):
    company = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))

    @validates_schema
    def _something(self, data, **_kwargs):
        if not any(data.values()):
            raise ValidationError("Give a company, a phone or an e-mail.", "company")


class MatchSchema(Schema):
    lead_id = fields.String()
    strength = fields.String(metadata={"description": "strong: same phone or e-mail; weak: same company name"})
    keys = fields.List(fields.String())


class MatchListSchema(Schema):
    items = fields.List(fields.Nested(MatchSchema))


class MergeRequestSchema(Schema):
    other_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class ImportOptionsSchema(Schema):
    mapping = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=200)),
                          values=fields.String(validate=validate.OneOf(FIELDS)), required=True,
                          validate=validate.Length(min=1, max=50), metadata={"description": "column name -> lead field"})
    defaults = fields.Dict(keys=fields.String(validate=validate.OneOf(FIELDS)),
                           values=fields.String(validate=validate.Length(max=200)), load_default=dict,
                           metadata={"description": "field -> value for empty cells, e.g. {\"channel\": \"fair\"}"})
    pool_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))
    owner_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36),
                             metadata={"description": "the leads go straight to this rep"})
    on_duplicate = fields.String(load_default=SKIP, validate=validate.OneOf(ON_DUPLICATE))
    dry_run = fields.Boolean(load_default=False)


class ImportUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportFormSchema(Schema):
    options = fields.String(required=True, metadata={
        "description": "ImportOptions as JSON; the same multipart body carries the CSV or XLSX as the part `file`"})


class RowErrorSchema(Schema):
    row = fields.Integer()
    column = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    reason = fields.String()


class ImportJobSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "queued, running, completed or failed"})
    file_name = fields.String()
    file_format = fields.String()
    options = fields.Dict()
    created_by = fields.String()
    total = fields.Integer()
    processed = fields.Integer()
    created = fields.Integer()
    skipped = fields.Integer()
    merged = fields.Integer()
    failed = fields.Integer(metadata={"description": "bad rows, not imported"})
    errors = fields.List(fields.Nested(RowErrorSchema), metadata={"description": "the first 1,000"})
    message = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class DryRunReportSchema(Schema):
    dry_run = fields.Boolean()
    file_format = fields.String()
    total = fields.Integer()
    valid = fields.Integer()
    invalid_rows = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorSchema))
    would_create = fields.Integer()
    would_skip = fields.Integer()
    would_merge = fields.Integer()
    possible_duplicates = fields.Integer()
