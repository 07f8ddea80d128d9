"""HTTP endpoints of contracts: parse, call the use case, serialise."""
from flask import current_app, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, ValidationError

from crm_shared.auth import ADMIN, ROLES, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.errors import APIError
from crm_shared.versioning import etag_header, required_version
from sales import contract_service
from sales.money_schemas import ContractAmendmentListSchema, ContractJournalSchema, ContractWithFiguresSchema
from sales.deal_schemas import (
    ContractCreateSchema,
    ContractEditSchema,
    ContractListQuerySchema,
    ContractListSchema,
    ContractSchema,
    ContractSignFormSchema,
    ReasonSchema,
)

contracts_blp = Blueprint("contracts", __name__, url_prefix="/api/v1/contracts", description="Contracts")
# Who may call the sellers' endpoints at all; which customer they may act for is `sales.deal_access`.
SELLERS = (ADMIN, SALES_MANAGER, SALES_REP)
ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _versioned(contract):
    return contract, etag_header(contract.version)


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _store():
    return current_app.extensions["sales.contract_file_store"]


@contracts_blp.route("")
class Contracts(MethodView):
    @contracts_blp.arguments(ContractListQuerySchema, location="query", unknown=RAISE)
    @contracts_blp.response(200, ContractListSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """Contracts you may see, newest first; filter by status, customer or order."""
        return {"items": contract_service.list_contracts(_uow(), current_identity(), args.get("status"),
                                                         args.get("customer_id"), args.get("order_id"))}

    @contracts_blp.arguments(ContractCreateSchema)
    @contracts_blp.response(201, ContractSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, fields):
        """Draft a contract from a placed order, for the order's total; one live contract per order."""
        return _versioned(contract_service.draft_contract(_uow(), fields, current_identity()))


@contracts_blp.route("/<string:contract_id>")
class ContractById(MethodView):
    @contracts_blp.response(200, ContractWithFiguresSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, contract_id):
        """One contract with its money figures (amount, paid, invoiced, refunded, outstanding, net); the ETag is its
        version."""
        return _versioned(contract_service.read_contract(_uow(), contract_id, current_identity()))

    @contracts_blp.arguments(ContractEditSchema)
    @contracts_blp.response(200, ContractSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def patch(self, changes, contract_id):
        """Change a draft's title or dates; 409 `contract_not_draft` otherwise. If-Match required."""
        version = required_version("contract")
        return _versioned(contract_service.edit_contract(_uow(), contract_id, changes, version, current_identity()))


@contracts_blp.route("/<string:contract_id>/submit")
class SubmitContract(MethodView):
    @contracts_blp.response(200, ContractSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, contract_id):
        """Submit a draft for approval under the contract flow; 409 `contract_not_draft` otherwise. If-Match required."""
        version = required_version("contract")
        return _versioned(contract_service.submit_contract(_uow(), contract_id, version, current_identity()))


@contracts_blp.route("/<string:contract_id>/void")
class VoidContract(MethodView):
    @contracts_blp.arguments(ReasonSchema)
    @contracts_blp.response(200, ContractSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, body, contract_id):
        """Void a contract that has not expired; a pending approval is withdrawn and the order may be cancelled.

        If-Match required.
        """
        version = required_version("contract")
        return _versioned(contract_service.void_contract(_uow(), contract_id, body["reason"], version,
                                                         current_identity()))


SIGN_DOC = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["signed_on", "signatories", "file"],
            "properties": {
                "signed_on": {"type": "string", "format": "date"},
                "signatories": {"type": "array", "items": {"type": "string"}},
                "file": {"type": "string", "format": "binary"},
            },
        }}},
    }
}


@contracts_blp.route("/<string:contract_id>/sign")
class SignContract(MethodView):
    @contracts_blp.doc(**SIGN_DOC)
    @contracts_blp.response(200, ContractSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, contract_id):
        """Record the signing of an approved contract: date, signatories and the signed copy (PDF, PNG or JPEG).

        409 `contract_not_approved` for any other contract; the file is then not kept. If-Match required.
        """
        version = required_version("contract")
        if request.mimetype != "multipart/form-data":
            raise APIError(415, "unsupported_media_type", "Send the signing as multipart/form-data.")
        store = _store()
        # Refuse a body far too large before reading it; 64 KiB leaves room for the form's other parts.
        store.check_size((request.content_length or 0) - 64 * 1024)
        form = {"signed_on": request.form.get("signed_on"), "signatories": request.form.getlist("signatories")}
        try:
            fields = ContractSignFormSchema().load({k: v for k, v in form.items() if v})
        except ValidationError as error:
            raise APIError(422, "validation_failed", "Some fields are not valid.", error.messages) from error
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise APIError(422, "validation_failed", "Some fields are not valid. file: Missing data for required field.",
                           {"file": ["Missing data for required field."]})
        return _versioned(contract_service.sign_contract(
            _uow(), store, contract_id, fields["signed_on"], fields["signatories"], upload.stream, upload.filename,
            upload.mimetype, version, current_identity()))


@contracts_blp.route("/<string:contract_id>/file")
class SignedContractFile(MethodView):
    @contracts_blp.response(200, content_type="application/octet-stream")
    @require_roles(*ROLES)
    def get(self, contract_id):
        """The signed copy, as an attachment."""
        contract, path = contract_service.signed_file(_uow(), _store(), contract_id, current_identity())
        response = send_file(path, mimetype=contract.file_type, as_attachment=True, download_name=contract.file_name,
                             max_age=0)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


@contracts_blp.route("/<string:contract_id>/history")
class ContractHistory(MethodView):
    @contracts_blp.response(200, ContractJournalSchema)
    @require_roles(*ROLES)
    def get(self, contract_id):
        """Every change of the contract and its money, oldest first: the event, who, when, the record it is about
        and the record that caused it (the refund that voided or amended it, the approval request that decided)."""
        return {"items": contract_service.contract_journal(_uow(), contract_id, current_identity())}


@contracts_blp.route("/<string:contract_id>/amendments")
class ContractAmendments(MethodView):
    @contracts_blp.response(200, ContractAmendmentListSchema)
    @require_roles(*ROLES)
    def get(self, contract_id):
        """The changes of the contract's amount, oldest first: before, after, why, and the refund that made each."""
        return {"items": contract_service.contract_amendments(_uow(), contract_id, current_identity())}
