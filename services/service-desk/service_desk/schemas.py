"""Request and response schemas of the service-desk API; unknown fields are refused."""
from decimal import Decimal

from marshmallow import Schema, fields, post_load, validate

from service_desk.domain import (
    API,
    CATEGORY_PATTERN,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    DESK,
    MESSAGE_MAX,
    NORMAL,
    NOTE_MAX,
    OPPORTUNITY_NAME_MAX,
    PRIORITIES,
    RESOLUTION_MAX,
    STATUSES,
    SUBJECT_MAX,
    TAG_PATTERN,
    TAGS_MAX,
    OpportunityRequest,
)

# The currency of a deal asked for without one: the desk's customers are billed in yuan unless an agent says otherwise.
DEFAULT_CURRENCY = "CNY"


def subject_field(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=SUBJECT_MAX),
                                   validate.Regexp(r"\S", error="The subject cannot be blank.")], **kwargs)


def category_field(**kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Regexp(
        CATEGORY_PATTERN, error="A category is a slug: lower-case letters, digits, - and _, at most 50."), **kwargs)


def tags_field(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.Regexp(TAG_PATTERN, error="A tag has 1 to 40 letters, "
                                                              "digits, spaces, '.', ':' or '-'.")),
                       validate=validate.Length(max=TAGS_MAX), **kwargs)


def message_field(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=MESSAGE_MAX),
                                   validate.Regexp(r"\S", error="The message cannot be blank.")], **kwargs)


class TicketCreateSchema(Schema):
    customer_id = fields.UUID(required=True)
    contact_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    subject = subject_field(required=True)
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=DESCRIPTION_MAX))
    priority = fields.String(load_default=NORMAL, validate=validate.OneOf(PRIORITIES))
    category = category_field(load_default=None)
    tags = tags_field(load_default=list)
    source = fields.String(load_default=DESK, validate=validate.OneOf((DESK, API)), metadata={
        "description": "desk (default) or api: another system opened it; a rep's tickets are always `sales`"})


class TicketEditSchema(Schema):
    subject = subject_field()
    description = fields.String(allow_none=True, validate=validate.Length(max=DESCRIPTION_MAX))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    category = category_field()
    tags = tags_field()


class TicketTransitionSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    resolution = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=RESOLUTION_MAX))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class AssignmentSchema(Schema):
    assignee_id = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=36))
    group_id = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=36))


class CustomerLinkSchema(Schema):
    customer_id = fields.UUID(required=True)
    contact_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))


class MessageCreateSchema(Schema):
    body = message_field(required=True)


class SatisfactionInputSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=COMMENT_MAX))


class TicketCloseSchema(Schema):
    resolution = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=RESOLUTION_MAX))


class OpportunityRequestSchema(Schema):
    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=OPPORTUNITY_NAME_MAX),
            validate.Regexp(r"\S", error="The name cannot be blank."),
        ],
        metadata={"description": "what the customer needs, as the deal's name"},
    )
    amount = fields.String(
        load_default=None, allow_none=True,
        validate=validate.Regexp(r"^\d{1,16}(\.\d{1,2})?$", error="A decimal string such as \"12000.50\"."),
        metadata={"description": "a decimal string, if the agent has an idea of it"},
    )
    currency = fields.String(load_default=DEFAULT_CURRENCY,
                             validate=validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY."))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX),
                         metadata={"description": "what the agent saw; kept with the deal as a follow-up"})

    @post_load
    def request(self, data, **_):
        amount = data["amount"]
        return OpportunityRequest(name=data["name"], currency=data["currency"], note=data["note"] or None,
                                  amount=Decimal(amount).quantize(Decimal("0.01")) if amount is not None else None)


class RequesterSchema(Schema):
    name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)
    company = fields.String(allow_none=True)


class SatisfactionSchema(Schema):
    rating = fields.Integer()
    comment = fields.String(allow_none=True)
    rated_at = fields.DateTime()
    rated_by = fields.String(allow_none=True)
    by_customer = fields.Boolean()


class TicketSchema(Schema):
    id = fields.String()
    number = fields.String(allow_none=True, metadata={"description": "the human-friendly number, SD-2026-000123"})
    customer_id = fields.String(allow_none=True, metadata={"description": "null for a public request not linked yet"})
    contact_id = fields.String(allow_none=True)
    subject = fields.String()
    description = fields.String(allow_none=True)
    priority = fields.String()
    category = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    status = fields.String()
    assignee_id = fields.String(allow_none=True)
    group_id = fields.String(allow_none=True)
    source = fields.String()
    requester = fields.Nested(RequesterSchema, allow_none=True)
    opened_by = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    first_replied_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    channel = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    opportunity_requested_at = fields.DateTime(allow_none=True)
    opportunity_requested_by = fields.String(allow_none=True)
    opportunity_id = fields.String(allow_none=True, metadata={"description": "the deal sales opened from this ticket"})
    opportunity_refusal = fields.String(allow_none=True, metadata={
        "description": "why sales opened no deal: customer_in_pool or unknown_customer; the agent may ask again"})
    satisfaction = fields.Nested(SatisfactionSchema, allow_none=True)
    sla = fields.Dict(allow_none=True, metadata={"description": "the ticket's SLA state, when SLA policies apply"})
    version = fields.Integer()


class TicketListQuerySchema(Schema):
    customer_id = fields.UUID()
    # Checked against the statuses by the API, which names the unknown one (400 `unknown_status`).
    status = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=10),
                         metadata={"description": "repeatable: tickets in any of these statuses"})
    open_ = fields.Boolean(data_key="open", metadata={
        "description": "true: not resolved and not closed; false: resolved or closed"})
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    category = fields.String(validate=validate.Length(max=50))
    assignee_id = fields.String(validate=validate.Length(min=1, max=36), metadata={"description": "an id, or `me`"})
    group_id = fields.String(validate=validate.Length(min=1, max=36))
    unassigned = fields.Boolean()
    tag = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=10),
                      metadata={"description": "repeatable: tickets carrying every one of these tags"})
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "words in the subject, the number or the requester's email"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSchema))
    total = fields.Integer()


class MessageSchema(Schema):
    id = fields.String()
    ticket_id = fields.String()
    kind = fields.String(metadata={"description": "public_reply or internal_note"})
    public = fields.Boolean()
    author_kind = fields.String(metadata={"description": "agent or customer"})
    author_id = fields.String(allow_none=True)
    author_name = fields.String(allow_none=True)
    body = fields.String()
    created_at = fields.DateTime()


class MessageListSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema))


class HistoryEntrySchema(Schema):
    ticket_id = fields.String()
    seq = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    actor_id = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    old_value = fields.Raw(allow_none=True)
    new_value = fields.Raw(allow_none=True)
    public = fields.Boolean()
    rule_id = fields.String(allow_none=True, metadata={"description": "the workflow rule that caused it, if any"})
    detail = fields.Dict()


class HistoryListSchema(Schema):
    items = fields.List(fields.Nested(HistoryEntrySchema))
