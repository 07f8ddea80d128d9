"""HTTP endpoints of targets (业绩目标), their achievement, and departments: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.versioning import etag_header, required_version
from sales import target_service
from sales.target_schemas import (
    AchievementListSchema,
    AchievementQuerySchema,
    DepartmentInputSchema,
    DepartmentListSchema,
    DepartmentSchema,
    TargetCreateSchema,
    TargetEditSchema,
    TargetListQuerySchema,
    TargetListSchema,
    TargetSchema,
)

targets_blp = Blueprint("targets", __name__, url_prefix="/api/v1/targets", description="Sales targets (业绩目标)")
departments_blp = Blueprint("departments", __name__, url_prefix="/api/v1/departments",
                            description="Departments: named sets of teams")
VIEWERS = (ADMIN, EXECUTIVE, SALES_MANAGER, SALES_REP)
SETTERS = (ADMIN, SALES_MANAGER)
ETAG_HEADER = {"ETag": {"description": "the version", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


@targets_blp.route("")
class Targets(MethodView):
    @targets_blp.arguments(TargetListQuerySchema, location="query", unknown=RAISE)
    @targets_blp.response(200, TargetListSchema)
    @require_roles(*VIEWERS)
    def get(self, args):
        """Targets you may see (your own, your teams' and departments'; a manager's members'), newest period first."""
        return {"items": target_service.list_targets(_uow(), current_identity(), **args)}

    @targets_blp.arguments(TargetCreateSchema)
    @targets_blp.response(201, TargetSchema, headers=ETAG_HEADER)
    @require_roles(*SETTERS)
    def post(self, body):
        """Set a target; 409 `target_exists` if the subject has one for this period and metric, 403
        `not_your_subject` for a manager outside their teams."""
        target = target_service.set_target(_uow(), body, current_identity())
        return target, etag_header(target.version)


@targets_blp.route("/achievement")
class Achievement(MethodView):
    @targets_blp.arguments(AchievementQuerySchema, location="query", unknown=RAISE)
    @targets_blp.response(200, AchievementListSchema)
    @require_roles(*VIEWERS)
    def get(self, args):
        """Each target you may see for the period with what its subject reached, and the percent."""
        period, rows = target_service.achievement(_uow(), current_identity(), args["period"],
                                                  args.get("subject_kind"), args.get("subject_id"))
        return {"period": period.key, "period_start": period.start, "period_end": period.end, "items": rows}


@targets_blp.route("/<string:target_id>")
class TargetById(MethodView):
    @targets_blp.response(200, TargetSchema, headers=ETAG_HEADER)
    @require_roles(*VIEWERS)
    def get(self, target_id):
        """One target; the ETag is its version."""
        target = target_service.get_target(_uow(), target_id, current_identity())
        return target, etag_header(target.version)

    @targets_blp.arguments(TargetEditSchema)
    @targets_blp.response(200, TargetSchema, headers=ETAG_HEADER)
    @require_roles(*SETTERS)
    def patch(self, body, target_id):
        """Change a target's figure (If-Match: its ETag; 428 without, 412 if changed meanwhile)."""
        target = target_service.change_target(_uow(), target_id, body, required_version("target"),
                                              current_identity())
        return target, etag_header(target.version)


@departments_blp.route("")
class Departments(MethodView):
    @departments_blp.response(200, DepartmentListSchema)
    @require_roles(*VIEWERS)
    def get(self):
        """Every department and its teams, by name."""
        return {"items": target_service.list_departments(_uow())}

    @departments_blp.arguments(DepartmentInputSchema)
    @departments_blp.response(201, DepartmentSchema, headers=ETAG_HEADER)
    @require_roles(ADMIN)
    def post(self, body):
        """A department: a name and its teams (a team belongs to one department at most)."""
        department = target_service.create_department(_uow(), body["name"], body["team_ids"], current_identity())
        return department, etag_header(department["version"])


@departments_blp.route("/<string:department_id>")
class DepartmentById(MethodView):
    @departments_blp.response(200, DepartmentSchema, headers=ETAG_HEADER)
    @require_roles(*VIEWERS)
    def get(self, department_id):
        """One department; the ETag is its version."""
        department = target_service.get_department(_uow(), department_id)
        return department, etag_header(department["version"])

    @departments_blp.arguments(DepartmentInputSchema)
    @departments_blp.response(200, DepartmentSchema, headers=ETAG_HEADER)
    @require_roles(ADMIN)
    def put(self, body, department_id):
        """Rename a department and replace its teams (If-Match: its ETag)."""
        department = target_service.replace_department(_uow(), department_id, body["name"], body["team_ids"],
                                                       required_version("department"), current_identity())
        return department, etag_header(department["version"])
