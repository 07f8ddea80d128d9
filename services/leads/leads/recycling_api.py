"""HTTP endpoints of recycling: locking a lead against it, and previewing what a pool's policy (saved or not) would do."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, current_identity, require_roles
from leads import recycling_service

recycle_locks_blp = Blueprint("recycle_locks", __name__, url_prefix="/api/v1/leads",
                              description="Locking your leads against recycling")
recycle_preview_blp = Blueprint("recycle_preview", __name__, url_prefix="/api/v1/pools",
                                description="What a pool's recycle policy would do")

SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)


class LockSchema(Schema):
    lead_id = fields.String()
    locked = fields.Boolean()
    locked_count = fields.Integer(metadata={"description": "leads of this pool you have locked now"})
    limit = fields.Integer(metadata={"description": "the pool policy's max_locked_per_rep"})


class PreviewQuerySchema(Schema):
    at = fields.AwareDateTime(load_default=None, metadata={"description": "look ahead: evaluate at this time"})


class UnsavedPreviewSchema(Schema):
    policy = fields.Dict(required=True, metadata={
        "description": "a recycle policy as the pool's rules.recycle takes it, checked as saving checks it"})
    at = fields.AwareDateTime(load_default=None, metadata={"description": "look ahead: evaluate at this time"})


class PreviewItemSchema(Schema):
    lead_id = fields.String()
    company = fields.String()
    owner_id = fields.String()
    decision = fields.String(metadata={"description": "recycle, reassign, remind_rep, remind_rep_and_manager, excluded"})
    rule = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    days = fields.Integer(allow_none=True, metadata={"description": "days counted on the deciding clock"})
    days_left = fields.Integer(allow_none=True)


class PreviewSchema(Schema):
    pool_id = fields.String()
    at = fields.DateTime()
    policy = fields.Dict(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    items = fields.List(fields.Nested(PreviewItemSchema))


def _uow():
    return current_app.extensions["crm.uow_factory"]


@recycle_locks_blp.route("/<string:lead_id>/lock")
class LockLead(MethodView):
    @recycle_locks_blp.response(200, LockSchema)
    @require_roles(*SALES_ROLES)
    def post(self, lead_id):
        """Keep your lead out of recycling (up to the pool's max_locked_per_rep)."""
        return recycling_service.lock_lead(_uow(), lead_id, current_identity())


@recycle_locks_blp.route("/<string:lead_id>/unlock")
class UnlockLead(MethodView):
    @recycle_locks_blp.response(200, LockSchema)
    @require_roles(*SALES_ROLES)
    def post(self, lead_id):
        """Let the recycle rules apply to your lead again."""
        return recycling_service.unlock_lead(_uow(), lead_id, current_identity())


@recycle_preview_blp.route("/<string:pool_id>/recycle-preview")
class RecyclePreview(MethodView):
    @recycle_preview_blp.arguments(PreviewQuerySchema, location="query")
    @recycle_preview_blp.response(200, PreviewSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args, pool_id):
        """What the pool's policy would recycle, reassign or warn about now (or `at`), and why; changes nothing."""
        return recycling_service.recycle_preview(_uow(), pool_id, current_identity(), args.get("at"))

    @recycle_preview_blp.arguments(UnsavedPreviewSchema)
    @recycle_preview_blp.response(200, PreviewSchema)
    @require_roles(*SALES_ROLES)
    def post(self, body, pool_id):
        """What a policy not saved yet would do to the pool's leads now (or `at`); saves and changes nothing."""
        return recycling_service.recycle_preview(_uow(), pool_id, current_identity(), body["at"], body["policy"])
