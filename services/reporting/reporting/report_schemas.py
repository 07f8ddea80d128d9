"""Request and response shapes of the report builder: definitions, layouts, saved reports, boards, results."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from reporting.charts import CHART_TYPES
from reporting.report_query import AGGREGATES, BUCKETS, MAX_LIMIT, OPERATORS

KEY = validate.Regexp(r"^[a-z_][a-z0-9_]{0,62}$", error="use lower-case letters, digits and _ (at most 63), starting with a letter")
FIELD = validate.Length(min=1, max=100)
LABEL = validate.Length(max=100)
IDS = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list, validate=validate.Length(max=200))


class ComputedFieldSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    label = fields.String(validate=LABEL)
    expression = fields.String(required=True, validate=validate.Length(min=1, max=500))


class DimensionSchema(Schema):
    field = fields.String(required=True, validate=FIELD)
    bucket = fields.String(validate=validate.OneOf(BUCKETS), allow_none=True)
    key = fields.String(validate=KEY)
    label = fields.String(validate=LABEL)


class MeasureSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    label = fields.String(validate=LABEL)
    aggregate = fields.String(validate=validate.OneOf(AGGREGATES))
    field = fields.String(validate=FIELD)
    expression = fields.String(validate=validate.Length(min=1, max=500))

    @validates_schema
    def _aggregate_or_expression(self, data, **_):
        if bool(data.get("aggregate")) == bool(data.get("expression")):
            raise ValidationError("give either an aggregate (with a field) or an expression", "aggregate")


class ParameterSchema(Schema):
    """A run-time filter: the viewer fills in the value when running the report."""

    key = fields.String(required=True, validate=KEY)
    label = fields.String(validate=LABEL)
    field = fields.String(required=True, validate=FIELD)
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    default = fields.Raw(allow_none=True)


class SortSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    direction = fields.String(load_default="asc", validate=validate.OneOf(("asc", "desc")))


class ReportDefinitionSchema(Schema):
    dataset = fields.String(required=True, validate=validate.Length(min=1, max=50))
    computed = fields.List(fields.Nested(ComputedFieldSchema), load_default=list, validate=validate.Length(max=20))
    dimensions = fields.List(fields.Nested(DimensionSchema), load_default=list, validate=validate.Length(max=20))
    measures = fields.List(fields.Nested(MeasureSchema), load_default=list, validate=validate.Length(max=20))
    filters = fields.Dict(
        allow_none=True,
        metadata={"description": 'a condition {"field", "op", "value"} or a group {"all": [...]} / {"any": [...]}'},
    )
    parameters = fields.List(fields.Nested(ParameterSchema), load_default=list, validate=validate.Length(max=10))
    sort = fields.List(fields.Nested(SortSchema), load_default=list, validate=validate.Length(max=10))
    limit = fields.Integer(validate=validate.Range(1, MAX_LIMIT), allow_none=True)


class LayoutColumnSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    label = fields.String(validate=LABEL)
    format = fields.String(validate=validate.Length(max=40), allow_none=True)


class PivotLayoutSchema(Schema):
    rows = fields.String(required=True, validate=KEY)
    columns = fields.String(required=True, validate=KEY)
    measure = fields.String(required=True, validate=KEY)


class ChartLayoutSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(CHART_TYPES))
    category = fields.String(required=True, validate=KEY)
    values = fields.List(fields.String(validate=KEY), required=True, validate=validate.Length(min=1, max=10))
    series = fields.String(validate=KEY, allow_none=True)


class LayoutSchema(Schema):
    type = fields.String(load_default="table", validate=validate.OneOf(("table", "pivot", "chart")))
    columns = fields.List(fields.Nested(LayoutColumnSchema), load_default=list, validate=validate.Length(max=40))
    pivot = fields.Nested(PivotLayoutSchema, allow_none=True)
    chart = fields.Nested(ChartLayoutSchema, allow_none=True)


class PreviewRequestSchema(Schema):
    definition = fields.Nested(ReportDefinitionSchema, required=True)
    layout = fields.Nested(LayoutSchema, load_default=dict)
    parameters = fields.Dict(load_default=dict)


class SavedReportInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=1000))
    definition = fields.Nested(ReportDefinitionSchema, required=True)
    layout = fields.Nested(LayoutSchema, load_default=dict)
    shared_user_ids = IDS
    shared_team_ids = IDS


class SavedReportSummarySchema(Schema):
    report_id = fields.String()
    name = fields.String()
    description = fields.String()
    owner_id = fields.String()
    owner_name = fields.String(allow_none=True)
    shared_user_ids = fields.List(fields.String())
    shared_team_ids = fields.List(fields.String())
    editable = fields.Boolean(metadata={"description": "whether the viewer may change or delete it"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class SavedReportSchema(SavedReportSummarySchema):
    definition = fields.Dict()
    layout = fields.Dict()


class SavedReportListSchema(Schema):
    items = fields.List(fields.Nested(SavedReportSummarySchema))


class TileSchema(Schema):
    report_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    title = fields.String(validate=LABEL, allow_none=True)
    width = fields.Integer(load_default=1, validate=validate.Range(1, 3), metadata={"description": "columns of 3"})


class BoardInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    tiles = fields.List(fields.Nested(TileSchema), load_default=list, validate=validate.Length(max=24))
    shared_user_ids = IDS
    shared_team_ids = IDS


class BoardSummarySchema(Schema):
    board_id = fields.String()
    name = fields.String()
    owner_id = fields.String()
    shared_user_ids = fields.List(fields.String())
    shared_team_ids = fields.List(fields.String())
    editable = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class BoardSchema(BoardSummarySchema):
    tiles = fields.List(fields.Dict(), metadata={"description": "each with report_id, title, width, the report's name, available"})


class BoardListSchema(Schema):
    items = fields.List(fields.Nested(BoardSummarySchema))


class ResultColumnSchema(Schema):
    key = fields.String()
    label = fields.String()
    kind = fields.String()
    role = fields.String(metadata={"description": "dimension or measure"})
    format = fields.String(allow_none=True)


class ReportResultSchema(Schema):
    columns = fields.List(fields.Nested(ResultColumnSchema), metadata={"description": "in the layout's order"})
    rows = fields.List(fields.Dict(), metadata={"description": "money as strings with 2 decimals"})
    truncated = fields.Boolean(metadata={"description": "more rows matched than the limit"})
    layout = fields.Dict()
    pivot = fields.Dict(allow_none=True)
    chart = fields.Dict(allow_none=True, metadata={"description": "what to draw: type, category, values, series, labels"})
    scope = fields.String(metadata={"description": "own, team or all: whose records the figures count"})
    generated_at = fields.DateTime()


class ExportArgsSchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class ChartArgsSchema(Schema):
    format = fields.String(load_default="svg", validate=validate.OneOf(("svg", "png")))
