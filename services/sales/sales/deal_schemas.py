"""Request and response schemas of orders, contracts and approvals; unknown fields are refused.

Money, quantities and percentages travel as decimal strings, never JSON numbers: nothing passes through a float.
"""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from crm_shared.auth import ROLES
from sales import approvals, contracts, orders

AMOUNT = validate.Regexp(r"^\d{1,16}(\.\d{1,2})?$", error="A decimal string such as \"12000.50\": at most two decimals.")
QUANTITY = validate.Regexp(r"^\d{1,12}(\.\d{1,2})?$", error="A decimal string such as \"3\" or \"2.5\".")
PERCENT = validate.Regexp(r"^\d{1,3}(\.\d{1,2})?$", error="A percentage as a decimal string such as \"13\" or \"7.5\".")
DECIMALS = ("quantity", "unit_price", "discount_percent", "discount_amount", "tax_rate")


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Cannot be blank.")


def _at_most_100(data: dict, name: str) -> None:
    if data.get(name) is not None and Decimal(data[name]) > 100:
        raise ValidationError({name: ["At most 100."]})


def _exact(data: dict) -> dict:
    return {key: Decimal(value) if key in DECIMALS and value is not None else value for key, value in data.items()}


class _Discounted(Schema):
    discount_percent = fields.String(load_default=None, allow_none=True, validate=PERCENT)
    discount_amount = fields.String(load_default=None, allow_none=True, validate=AMOUNT)

    @validates_schema
    def one_kind_of_discount(self, data, **_):
        if data.get("discount_percent") is not None and data.get("discount_amount") is not None:
            raise ValidationError({"discount_amount": ["Give a discount percentage or an amount, not both."]})
        _at_most_100(data, "discount_percent")


class OrderLineInputSchema(_Discounted):
    sku = fields.String(required=True, validate=[validate.Length(min=1, max=orders.SKU_MAX), _not_blank])
    description = fields.String(load_default="", validate=validate.Length(max=orders.DESCRIPTION_MAX))
    quantity = fields.String(required=True, validate=QUANTITY)
    unit_price = fields.String(required=True, validate=AMOUNT)

    @validates_schema
    def some_quantity(self, data, **_):
        if "quantity" in data and Decimal(data["quantity"]) <= 0:
            raise ValidationError({"quantity": ["More than 0."]})

    @post_load
    def exact(self, data, **_):
        return _exact(data)


class OrderCreateSchema(_Discounted):
    opportunity_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    lines = fields.List(fields.Nested(OrderLineInputSchema), required=True,
                        validate=validate.Length(min=1, max=orders.LINES_MAX))
    tax_rate = fields.String(load_default="0", validate=PERCENT, metadata={"description": "percent, e.g. \"13\""})

    @validates_schema
    def tax_at_most_100(self, data, **_):
        _at_most_100(data, "tax_rate")

    @post_load
    def exact(self, data, **_):
        return _exact(data)


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=orders.REASON_MAX), _not_blank])


MONEY = {"as_string": True}


class OrderLineSchema(Schema):
    position = fields.Integer()
    sku = fields.String()
    description = fields.String()
    quantity = fields.Decimal(**MONEY)
    unit_price = fields.Decimal(**MONEY)
    discount_percent = fields.Decimal(allow_none=True, **MONEY)
    discount_amount = fields.Decimal(allow_none=True, **MONEY)
    line_discount = fields.Decimal(**MONEY)
    line_total = fields.Decimal(**MONEY, metadata={"description": "quantity x unit price - line discount"})


class OrderSchema(Schema):
    id = fields.String()
    opportunity_id = fields.String()
    customer_id = fields.String()
    owner_id = fields.String()
    currency = fields.String()
    status = fields.String(metadata={"description": "placed or cancelled"})
    lines = fields.List(fields.Nested(OrderLineSchema))
    discount_percent = fields.Decimal(allow_none=True, **MONEY)
    discount_amount = fields.Decimal(allow_none=True, **MONEY)
    tax_rate = fields.Decimal(**MONEY)
    subtotal = fields.Decimal(**MONEY, metadata={"description": "the lines' gross amounts"})
    discount = fields.Decimal(**MONEY, metadata={"description": "the lines' discounts plus the order's"})
    tax = fields.Decimal(**MONEY)
    total = fields.Decimal(**MONEY, metadata={"description": "subtotal - discount + tax"})
    live_contracts = fields.Integer()
    created_at = fields.DateTime()
    created_by = fields.String()
    cancelled_at = fields.DateTime(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    version = fields.Integer()


class OrderListQuerySchema(Schema):
    opportunity_id = fields.String(validate=validate.Length(min=1, max=36))
    customer_id = fields.String(validate=validate.Length(min=1, max=36))


class OrderListSchema(Schema):
    items = fields.List(fields.Nested(OrderSchema))


class _ContractTerms(Schema):
    @validates_schema
    def ends_after_start(self, data, **_):
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            raise ValidationError({"end_date": ["On or after the start date."]})


class ContractCreateSchema(_ContractTerms):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    title = fields.String(required=True, validate=[validate.Length(min=1, max=contracts.TITLE_MAX), _not_blank])
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)


class ContractEditSchema(_ContractTerms):
    """The terms a draft may change; amount, status and owner are not among them (and are refused)."""

    title = fields.String(validate=[validate.Length(min=1, max=contracts.TITLE_MAX), _not_blank])
    start_date = fields.Date()
    end_date = fields.Date()


class ContractSignFormSchema(Schema):
    """The form fields of signing (multipart/form-data): the signed copy is the part named `file`."""

    signed_on = fields.Date(required=True)
    signatories = fields.List(
        fields.String(validate=[validate.Length(min=1, max=contracts.SIGNATORY_MAX), _not_blank]),
        required=True, validate=validate.Length(min=1, max=contracts.SIGNATORIES_MAX),
        metadata={"description": "one form field per signatory"})


class ContractListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(contracts.STATUSES))
    customer_id = fields.String(validate=validate.Length(min=1, max=36))
    order_id = fields.String(validate=validate.Length(min=1, max=36))


class ContractSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    customer_id = fields.String()
    owner_id = fields.String()
    title = fields.String()
    amount = fields.Decimal(**MONEY, metadata={"description": "the order's total"})
    currency = fields.String()
    status = fields.String(metadata={"description": ", ".join(contracts.STATUSES)})
    start_date = fields.Date()
    end_date = fields.Date()
    approval_request_id = fields.String(allow_none=True)
    last_approval_outcome = fields.String(allow_none=True, metadata={"description": "rejected or sent_back"})
    signed_on = fields.Date(allow_none=True)
    signatories = fields.List(fields.String(), allow_none=True)
    file_name = fields.String(allow_none=True)
    file_type = fields.String(allow_none=True)
    file_size = fields.Integer(allow_none=True)
    signed_by = fields.String(allow_none=True)
    renewal_reminded_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.String()
    voided_at = fields.DateTime(allow_none=True)
    voided_by = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)
    version = fields.Integer()


class ContractListSchema(Schema):
    items = fields.List(fields.Nested(ContractSchema))


class DecisionSchema(Schema):
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=approvals.COMMENT_MAX))
    step = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1), metadata={
        "description": "the step you decide, as you saw it: a retry of the same decision changes nothing, and a "
                       "step decided meanwhile is a 409"})


class RefusalSchema(DecisionSchema):
    comment = fields.String(required=True, validate=[validate.Length(min=1, max=approvals.COMMENT_MAX), _not_blank])


class ApprovalStepSchema(Schema):
    position = fields.Integer()
    role = fields.String()
    min_amount = fields.Decimal(**MONEY)
    status = fields.String(metadata={"description": "waiting, current, approved, rejected or sent_back"})


class ApprovalEntrySchema(Schema):
    step_position = fields.Integer(metadata={"description": "0 for the submission"})
    actor_id = fields.String()
    decision = fields.String(metadata={"description": "submitted, approved, rejected or sent_back"})
    comment = fields.String(allow_none=True)
    at = fields.DateTime()


class ApprovalRequestSchema(Schema):
    id = fields.String()
    subject_kind = fields.String()
    subject_id = fields.String()
    amount = fields.Decimal(**MONEY)
    currency = fields.String()
    submitted_by = fields.String()
    submitted_at = fields.DateTime()
    status = fields.String(metadata={"description": "pending, approved, rejected, sent_back or withdrawn"})
    current_position = fields.Integer(metadata={"description": "the step being decided; 0 when none is"})
    decided_at = fields.DateTime(allow_none=True)
    steps = fields.List(fields.Nested(ApprovalStepSchema))
    trail = fields.List(fields.Nested(ApprovalEntrySchema))
    version = fields.Integer()


class ApprovalListSchema(Schema):
    items = fields.List(fields.Nested(ApprovalRequestSchema))


class FlowStepSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    min_amount = fields.String(load_default="0", validate=AMOUNT,
                               metadata={"description": "a decimal string: the step applies from this amount on"})

    @post_load
    def step(self, data, **_):
        return approvals.FlowStep(data["role"], Decimal(data["min_amount"]).quantize(Decimal("0.01")))


class FlowSchema(Schema):
    subject_kind = fields.String(dump_only=True)
    steps = fields.List(fields.Nested(FlowStepSchema), required=True, validate=validate.Length(max=10))
