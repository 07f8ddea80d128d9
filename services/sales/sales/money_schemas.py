"""Request and response schemas of payment plans, payments and invoices; unknown fields are refused.

Money travels as decimal strings, never JSON numbers: nothing passes through a float.
"""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from sales import invoices, payments, refunds
from sales.deal_schemas import AMOUNT, PERCENT, ContractSchema
from sales.money_rules import CENT

ID = validate.Length(min=1, max=36)
MONEY = {"as_string": True}


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Cannot be blank.")


def _cents(value: str) -> Decimal:
    return Decimal(value).quantize(CENT)


class InstallmentInputSchema(Schema):
    number = fields.Integer(required=True, validate=validate.Range(min=1, max=payments.INSTALLMENTS_MAX))
    amount = fields.String(required=True, validate=AMOUNT)
    planned_date = fields.Date(required=True)
    method = fields.String(required=True, validate=[validate.Length(min=1, max=payments.METHOD_MAX), _not_blank])
    remind_days_before = fields.Integer(load_default=0, validate=validate.Range(min=0, max=payments.REMIND_DAYS_MAX))

    @post_load
    def to_input(self, data, **_):
        return payments.InstallmentInput(data["number"], _cents(data["amount"]), data["planned_date"],
                                          data["method"], data["remind_days_before"])


class PaymentPlanCreateSchema(Schema):
    contract_id = fields.String(required=True, validate=ID)
    installments = fields.List(fields.Nested(InstallmentInputSchema), required=True,
                               validate=validate.Length(min=1, max=payments.INSTALLMENTS_MAX))


class InstallmentSchema(Schema):
    id = fields.String()
    contract_id = fields.String()
    customer_id = fields.String()
    number = fields.Integer()
    planned_amount = fields.Decimal(**MONEY)
    paid_amount = fields.Decimal(**MONEY)
    reserved_amount = fields.Decimal(**MONEY, metadata={"description": "held by payments waiting for approval"})
    due = fields.Decimal(**MONEY, metadata={"description": "what may still be paid on it"})
    currency = fields.String()
    planned_date = fields.Date()
    method = fields.String()
    remind_days_before = fields.Integer()
    status = fields.String(metadata={"description": ", ".join(payments.INSTALLMENT_STATUSES)})
    reminded_at = fields.DateTime(allow_none=True)
    overdue_at = fields.DateTime(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.String()
    version = fields.Integer()


class InstallmentListSchema(Schema):
    items = fields.List(fields.Nested(InstallmentSchema))


class PaymentPlanSchema(Schema):
    contract_id = fields.String()
    amount = fields.Decimal(**MONEY)
    currency = fields.String()
    installments = fields.List(fields.Nested(InstallmentSchema))


class InstallmentListQuerySchema(Schema):
    contract_id = fields.String(validate=ID)
    customer_id = fields.String(validate=ID)
    status = fields.String(validate=validate.OneOf(payments.INSTALLMENT_STATUSES))


class AllocationInputSchema(Schema):
    installment_id = fields.String(required=True, validate=ID)
    amount = fields.String(required=True, validate=AMOUNT)

    @post_load
    def exact(self, data, **_):
        return {**data, "amount": _cents(data["amount"])}


class PaymentCreateSchema(Schema):
    contract_id = fields.String(required=True, validate=ID)
    amount = fields.String(required=True, validate=AMOUNT)
    received_on = fields.Date(required=True)
    method = fields.String(required=True, validate=[validate.Length(min=1, max=payments.METHOD_MAX), _not_blank])
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    allocations = fields.List(fields.Nested(AllocationInputSchema), load_default=None, allow_none=True,
                              validate=validate.Length(max=payments.INSTALLMENTS_MAX), metadata={
                                  "description": "where the money goes; oldest installment first when left out"})

    @post_load
    def exact(self, data, **_):
        return {**data, "amount": _cents(data["amount"])}


class AllocationSchema(Schema):
    installment_id = fields.String()
    number = fields.Integer()
    amount = fields.String()


class PaymentSchema(Schema):
    id = fields.String()
    contract_id = fields.String()
    customer_id = fields.String()
    amount = fields.Decimal(**MONEY)
    currency = fields.String()
    received_on = fields.Date()
    method = fields.String()
    reference = fields.String(allow_none=True)
    status = fields.String(metadata={"description": ", ".join(payments.PAYMENT_STATUSES)})
    allocations = fields.List(fields.Nested(AllocationSchema))
    approval_request_id = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    refund_id = fields.String(allow_none=True, metadata={"description": "set on a refund's negative payment"})
    version = fields.Integer()


class PaymentListSchema(Schema):
    items = fields.List(fields.Nested(PaymentSchema))


class MoneyListQuerySchema(Schema):
    contract_id = fields.String(validate=ID)
    customer_id = fields.String(validate=ID)


class InvoiceListQuerySchema(MoneyListQuerySchema):
    status = fields.String(validate=validate.OneOf(invoices.STATUSES))


class InvoiceCreateSchema(Schema):
    contract_id = fields.String(required=True, validate=ID)
    title_type = fields.String(required=True, validate=validate.OneOf(invoices.TITLE_TYPES))
    title = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])
    tax_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    bank = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    bank_account = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    amount = fields.String(required=True, validate=AMOUNT)
    tax_rate = fields.String(required=True, validate=PERCENT, metadata={"description": "percent, e.g. \"13\""})

    @validates_schema
    def tax_rate_at_most_100(self, data, **_):
        if data.get("tax_rate") is not None and Decimal(data["tax_rate"]) > 100:
            raise ValidationError({"tax_rate": ["At most 100."]})

    @post_load
    def exact(self, data, **_):
        return {**data, "amount": _cents(data["amount"]), "tax_rate": Decimal(data["tax_rate"])}


class InvoiceIssueSchema(Schema):
    invoice_number = fields.String(required=True, validate=[validate.Length(min=1, max=50), _not_blank])
    issued_on = fields.Date(required=True)


class InvoiceReverseSchema(InvoiceIssueSchema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=1000), _not_blank])


class InvoiceSchema(Schema):
    id = fields.String()
    contract_id = fields.String()
    customer_id = fields.String()
    kind = fields.String(metadata={"description": "invoice, or red_letter (negative, reversing another)"})
    title_type = fields.String()
    title = fields.String()
    tax_id = fields.String(allow_none=True)
    bank = fields.String(allow_none=True)
    bank_account = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    amount = fields.Decimal(**MONEY)
    tax_rate = fields.Decimal(**MONEY)
    tax_amount = fields.Decimal(**MONEY, metadata={"description": "the tax inside the amount"})
    currency = fields.String()
    status = fields.String(metadata={"description": ", ".join(invoices.STATUSES)})
    invoice_number = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    issued_by = fields.String(allow_none=True)
    reverses_invoice_id = fields.String(allow_none=True)
    reversed_by_invoice_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    refund_id = fields.String(allow_none=True)
    reversal_due = fields.Boolean(metadata={"description": "a refund cancelled the deal: reverse this issued invoice"})
    approval_request_id = fields.String(allow_none=True)
    requested_by = fields.String()
    requested_at = fields.DateTime()
    version = fields.Integer()


class InvoiceListSchema(Schema):
    items = fields.List(fields.Nested(InvoiceSchema))


class ReversalSchema(Schema):
    original = fields.Nested(InvoiceSchema)
    red_letter = fields.Nested(InvoiceSchema)


class RefundCreateSchema(Schema):
    contract_id = fields.String(required=True, validate=ID)
    amount = fields.String(required=True, validate=AMOUNT, metadata={
        "description": "the money given back: at most what was received, \"0\" when nothing was paid"})
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=refunds.REASON_MAX), _not_blank])
    refunded_on = fields.Date(required=True)
    amended_amount = fields.String(load_default=None, allow_none=True, validate=AMOUNT, metadata={
        "description": "a partial refund (部分退单): the contract's amount after it; the contract stays in force. "
                       "Left out, the deal is cancelled"})

    @post_load
    def exact(self, data, **_):
        amended = data.get("amended_amount")
        return {**data, "amount": _cents(data["amount"]),
                "amended_amount": _cents(amended) if amended is not None else None}


class RefundSchema(Schema):
    id = fields.String()
    contract_id = fields.String()
    customer_id = fields.String()
    amount = fields.Decimal(**MONEY)
    currency = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"description": ", ".join(refunds.STATUSES)})
    refunded_on = fields.Date()
    requested_by = fields.String()
    requested_at = fields.DateTime()
    approval_request_id = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    payment_id = fields.String(allow_none=True, metadata={"description": "the negative payment recording it"})
    voided_installment_ids = fields.List(fields.String(), allow_none=True)
    withdrawn_invoice_ids = fields.List(fields.String(), allow_none=True)
    invoices_to_reverse = fields.List(fields.String(), allow_none=True)
    amended_amount = fields.Decimal(**MONEY, allow_none=True, metadata={
        "description": "a partial refund: the contract's amount after it"})
    amendment_id = fields.String(allow_none=True, metadata={"description": "the contract amendment it made"})
    adjusted_installment_ids = fields.List(fields.String(), allow_none=True, metadata={
        "description": "installments whose planned or paid amounts the amendment changed"})
    version = fields.Integer()


class RefundListSchema(Schema):
    items = fields.List(fields.Nested(RefundSchema))


class PaymentPlanReviseSchema(Schema):
    installments = fields.List(fields.Nested(InstallmentInputSchema), required=True,
                               validate=validate.Length(min=1, max=payments.INSTALLMENTS_MAX), metadata={
                                   "description": "the new installments of the unpaid part"})


class ContractFiguresSchema(Schema):
    amount = fields.Decimal(**MONEY, metadata={"description": "the contract's amount now, after any amendment"})
    currency = fields.String()
    received = fields.Decimal(**MONEY, metadata={"description": "money received, before refunds"})
    refunded = fields.Decimal(**MONEY, metadata={"description": "money given back"})
    paid = fields.Decimal(**MONEY, metadata={"description": "received less refunded"})
    invoiced = fields.Decimal(**MONEY, metadata={"description": "issued invoices less red-letter reversals"})
    outstanding = fields.Decimal(**MONEY, metadata={"description": "still expected; nothing once voided"})
    net = fields.Decimal(**MONEY, metadata={"description": "paid plus outstanding: what the deal is worth now"})


class ContractAmendmentSchema(Schema):
    id = fields.String()
    contract_id = fields.String()
    amount_before = fields.Decimal(**MONEY)
    amount_after = fields.Decimal(**MONEY)
    currency = fields.String()
    reason = fields.String()
    amended_by = fields.String()
    amended_at = fields.DateTime()
    refund_id = fields.String(allow_none=True)


class ContractAmendmentListSchema(Schema):
    items = fields.List(fields.Nested(ContractAmendmentSchema))


class ContractJournalEntrySchema(Schema):
    event_id = fields.String()
    event_name = fields.String()
    occurred_at = fields.DateTime()
    actor_id = fields.String(allow_none=True)
    record_kind = fields.String(metadata={"description": "what the change is about: contract, payment, invoice, ..."})
    record_id = fields.String()
    caused_by_kind = fields.String(allow_none=True, metadata={"description": "refund or approval_request"})
    caused_by_id = fields.String(allow_none=True)
    details = fields.Dict(metadata={"description": "the event's payload"})


class ContractJournalSchema(Schema):
    items = fields.List(fields.Nested(ContractJournalEntrySchema))


class ContractWithFiguresSchema(ContractSchema):
    figures = fields.Nested(ContractFiguresSchema, metadata={"description": "its money, computed in one place"})
