"""HTTP endpoints of sales expenses: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.versioning import etag_header, required_version
from sales import expense_service
from sales.expense_schemas import (
    CategoryListSchema,
    ExpenseCreateSchema,
    ExpenseDecisionSchema,
    ExpenseListQuerySchema,
    ExpenseListSchema,
    ExpenseSchema,
)
from sales.expenses import CATEGORIES

expenses_blp = Blueprint("expenses", __name__, url_prefix="/api/v1/expenses", description="Sales expenses (费用)")
SELLERS = (ADMIN, SALES_MANAGER, SALES_REP)
VIEWERS = (*SELLERS, EXECUTIVE)
DECIDERS = (ADMIN, SALES_MANAGER)
ETAG_HEADER = {"ETag": {"description": "the version", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


@expenses_blp.route("")
class Expenses(MethodView):
    @expenses_blp.arguments(ExpenseListQuerySchema, location="query", unknown=RAISE)
    @expenses_blp.response(200, ExpenseListSchema)
    @require_roles(*VIEWERS)
    def get(self, args):
        """Expenses you may see (yours; a manager's teams'), newest first, with totals by status and currency."""
        items, totals = expense_service.list_expenses(_uow(), current_identity(), args)
        return {"items": items, "totals": totals}

    @expenses_blp.arguments(ExpenseCreateSchema)
    @expenses_blp.response(201, ExpenseSchema, headers=ETAG_HEADER)
    @require_roles(*SELLERS)
    def post(self, body):
        """Record one of your expenses; it waits for your manager's approval."""
        expense = expense_service.record_expense(_uow(), body, current_identity())
        return expense, etag_header(expense.version)


@expenses_blp.route("/categories")
class Categories(MethodView):
    @expenses_blp.response(200, CategoryListSchema)
    @require_roles(*VIEWERS)
    def get(self):
        """The categories an expense may have."""
        return {"items": list(CATEGORIES)}


@expenses_blp.route("/<string:expense_id>")
class ExpenseById(MethodView):
    @expenses_blp.response(200, ExpenseSchema, headers=ETAG_HEADER)
    @require_roles(*VIEWERS)
    def get(self, expense_id):
        """One expense; the ETag is its version."""
        expense = expense_service.get_expense(_uow(), expense_id, current_identity())
        return expense, etag_header(expense.version)


def _decide(expense_id: str, verb: str, body: dict):
    expense = expense_service.decide_expense(_uow(), expense_id, verb, body.get("note"), required_version("expense"),
                                             current_identity())
    return expense, etag_header(expense.version)


@expenses_blp.route("/<string:expense_id>/approve")
class ApproveExpense(MethodView):
    @expenses_blp.arguments(ExpenseDecisionSchema)
    @expenses_blp.response(200, ExpenseSchema, headers=ETAG_HEADER)
    @require_roles(*DECIDERS)
    def post(self, body, expense_id):
        """Approve a submitted expense of your team's rep (If-Match: its ETag); 409 if already decided."""
        return _decide(expense_id, "approved", body)


@expenses_blp.route("/<string:expense_id>/reject")
class RejectExpense(MethodView):
    @expenses_blp.arguments(ExpenseDecisionSchema)
    @expenses_blp.response(200, ExpenseSchema, headers=ETAG_HEADER)
    @require_roles(*DECIDERS)
    def post(self, body, expense_id):
        """Reject a submitted expense of your team's rep (If-Match: its ETag); 409 if already decided."""
        return _decide(expense_id, "rejected", body)
