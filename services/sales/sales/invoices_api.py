"""HTTP endpoints of invoices (开票申请): request, read, issue, reverse."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ADMIN, ROLES, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.versioning import etag_header, required_version
from sales import invoice_service
from sales.money_schemas import (
    InvoiceCreateSchema,
    InvoiceIssueSchema,
    InvoiceListQuerySchema,
    InvoiceListSchema,
    InvoiceReverseSchema,
    InvoiceSchema,
    ReversalSchema,
)

invoices_blp = Blueprint("invoices", __name__, url_prefix="/api/v1/invoices", description="Invoices (开票申请)")
SELLERS = (ADMIN, SALES_MANAGER, SALES_REP)
ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _versioned(invoice):
    return invoice, etag_header(invoice.version)


@invoices_blp.route("")
class Invoices(MethodView):
    @invoices_blp.arguments(InvoiceListQuerySchema, location="query", unknown=RAISE)
    @invoices_blp.response(200, InvoiceListSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """Invoices you may see, newest first; filter by contract, customer or status."""
        return {"items": invoice_service.list_invoices(_uow(), current_identity(), args.get("contract_id"),
                                                       args.get("customer_id"), args.get("status"))}

    @invoices_blp.arguments(InvoiceCreateSchema)
    @invoices_blp.response(201, InvoiceSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, body):
        """Request an invoice, under the invoice approval flow; 409 `invoice_exceeds_contract` when it would
        take what is requested, approved or issued beyond the contract's amount; 422 `tax_id_required`."""
        return _versioned(invoice_service.request_invoice(_uow(), body, current_identity()))


@invoices_blp.route("/<string:invoice_id>")
class InvoiceById(MethodView):
    @invoices_blp.response(200, InvoiceSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, invoice_id):
        """One invoice; the ETag is its version."""
        return _versioned(invoice_service.get_invoice(_uow(), invoice_id, current_identity()))


@invoices_blp.route("/<string:invoice_id>/issue")
class IssueInvoice(MethodView):
    @invoices_blp.arguments(InvoiceIssueSchema)
    @invoices_blp.response(200, InvoiceSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, body, invoice_id):
        """Issue an approved invoice with its number (used once: 409 `invoice_number_taken`). If-Match required."""
        version = required_version("invoice")
        return _versioned(invoice_service.issue_invoice(_uow(), invoice_id, body["invoice_number"], body["issued_on"],
                                                        version, current_identity()))


@invoices_blp.route("/<string:invoice_id>/reverse")
class ReverseInvoice(MethodView):
    @invoices_blp.arguments(InvoiceReverseSchema)
    @invoices_blp.response(200, ReversalSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, body, invoice_id):
        """Reverse an issued invoice with a red-letter invoice (its own number, the amount negative).

        If-Match required; the ETag answered is the original's.
        """
        version = required_version("invoice")
        original, red = invoice_service.reverse_invoice(_uow(), invoice_id, body["invoice_number"], body["issued_on"],
                                                        body["reason"], version, current_identity())
        return {"original": original, "red_letter": red}, etag_header(original.version)
