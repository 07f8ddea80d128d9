"""Request and response schemas of campaigns, materials, distribution and deliveries; unknown fields are refused."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from leads.campaigns import LeadSegment, Money
from leads.domain import STATUSES
from leads.schemas import MAX_BATCH, Id, Tag

CODE = validate.Regexp(r"^[\w.-]+$", error="Letters, digits, '_', '.' and '-' only.")


def _unique(values):
    if len(set(values)) != len(values):
        raise ValidationError("Each id may appear only once.")


def _cents(amount: Decimal):
    # Money is never rounded silently: more than two decimals is the caller's mistake to fix.
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("At most two decimal places.")


Values = lambda size: fields.List(fields.String(validate=validate.Length(min=1, max=size)),  # noqa: E731
                                  validate=validate.Length(max=100))


class SegmentSchema(Schema):
    """Lead filters: each list given must match (tags: any of them)."""

    statuses = fields.List(fields.String(validate=validate.OneOf(STATUSES)), validate=validate.Length(max=10))
    pool_ids = fields.List(Id(), validate=validate.Length(max=100))
    regions = Values(100)
    industries = Values(100)
    channels = Values(50)
    campaigns = Values(200)
    tags = fields.List(Tag(), validate=validate.Length(max=100))

    @post_load
    def make(self, data, **_):
        return LeadSegment.from_dict(data)


class MoneySchema(Schema):
    amount = fields.Decimal(required=True, as_string=True, metadata={"description": "a decimal string: \"12000.50\""},
                            validate=[validate.Range(min=Decimal(0), max=Decimal("9999999999999999.99")), _cents])
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY."))

    @post_load
    def make(self, data, **_):
        return Money(data["amount"], data["currency"])


class CampaignCreateSchema(Schema):
    code = fields.String(required=True, validate=[validate.Length(min=1, max=100), CODE],
                         metadata={"description": "what leads give as their `campaign`"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    channel = fields.String(required=True, validate=validate.Length(min=1, max=50))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    budget = fields.Nested(MoneySchema, required=True)
    segment = fields.Nested(SegmentSchema, load_default=None, allow_none=True)
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class CampaignUpdateSchema(Schema):
    code = fields.String(validate=[validate.Length(min=1, max=100), CODE])
    name = fields.String(validate=validate.Length(min=1, max=200))
    channel = fields.String(validate=validate.Length(min=1, max=50))
    starts_on = fields.Date()
    ends_on = fields.Date()
    budget = fields.Nested(MoneySchema)
    segment = fields.Nested(SegmentSchema, allow_none=True)
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))


class CampaignSchema(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    channel = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    budget = fields.Function(lambda c: {"amount": str(c.budget_amount), "currency": c.budget_currency})
    segment = fields.Function(lambda c: c.segment.to_dict() if c.segment else None)
    description = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class CampaignListSchema(Schema):
    items = fields.List(fields.Nested(CampaignSchema))


class MaterialLinkSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                        metadata={"description": "http or https only"})
    campaign_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class MaterialUploadSchema(Schema):
    """The form fields of a file upload (multipart/form-data); the file itself is the part named `file`."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    campaign_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))


class MaterialUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    url = fields.String(validate=validate.Length(min=1, max=2000), metadata={"description": "links only"})
    campaign_id = fields.String(allow_none=True, validate=validate.Length(max=36))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))


class MaterialSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "`link` or `file`"})
    campaign_id = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    file_name = fields.String(allow_none=True)
    content_type = fields.String(allow_none=True)
    size_bytes = fields.Integer(allow_none=True)
    download_url = fields.Function(lambda m: f"/api/v1/materials/{m.id}/file" if m.kind == "file" else None)
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class MaterialListSchema(Schema):
    items = fields.List(fields.Nested(MaterialSchema))


class MaterialListQuerySchema(Schema):
    campaign_id = fields.String(validate=validate.Length(min=1, max=36))


class DistributeMaterialSchema(Schema):
    """Exactly one of `segment` and `lead_ids`."""

    segment = fields.Nested(SegmentSchema)
    lead_ids = fields.List(Id(), validate=[validate.Length(min=1, max=MAX_BATCH), _unique])

    @validates_schema
    def one_target(self, data, **_):
        if ("segment" in data) == ("lead_ids" in data):
            raise ValidationError("Give either segment or lead_ids, not both or neither.", "_schema")


class DeliverySchema(Schema):
    id = fields.String()
    material_id = fields.String()
    lead_id = fields.String()
    company = fields.String(allow_none=True, metadata={
        "description": "the lead's company, in lists only; null if you may not see the lead"})
    contact_name = fields.String(allow_none=True, metadata={
        "description": "the lead's contact, in lists only; null if you may not see the lead"})
    sent_by = fields.String()
    sent_at = fields.DateTime()
    opened_at = fields.DateTime(allow_none=True)
    clicked_at = fields.DateTime(allow_none=True)
    open_count = fields.Integer()
    click_count = fields.Integer()
    tracking_url = fields.Function(lambda d: f"/api/v1/track/{d.token}",
                                   metadata={"description": "the public link to send the lead; it counts clicks"})
    open_pixel_url = fields.Function(lambda d: f"/api/v1/track/{d.token}/open",
                                     metadata={"description": "a 1x1 image that counts opens"})


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    total = fields.Integer()


class DeliveryPageQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
