"""HTTP endpoints of logins and users: parse, call the use case, serialise."""
from datetime import timedelta

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.audit_schemas import AuditPageSchema, AuditQuerySchema
from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SERVICE_MANAGER, current_identity, require_roles
from gateway import accounts
from gateway.login_throttle import LoginLimit, LoginThrottle
from gateway.schemas import (
    LoginSchema,
    MeSchema,
    MeUpdateSchema,
    TeamListSchema,
    TokenSchema,
    UserCreateSchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Logging in")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1", description="You and the other users")

MANAGERS = (ADMIN, SALES_MANAGER, SERVICE_MANAGER)
# Who may see the list of people and teams: managers, and executives, who share reports with them.
DIRECTORY_READERS = (*MANAGERS, EXECUTIVE)


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _passwords():
    return current_app.extensions["crm.passwords"]


def _login_throttle() -> LoginThrottle:
    settings = current_app.extensions["crm.gateway_settings"]
    limit = LoginLimit(settings.login_failure_limit, timedelta(seconds=settings.login_failure_window_seconds),
                       settings.login_address_failure_limit)
    # The address the connection came from: a header such as X-Forwarded-For is the client's to choose.
    return LoginThrottle(_uow(), limit, request.remote_addr)


@auth_blp.route("/login")
class Login(MethodView):
    crm_public = True

    @auth_blp.arguments(LoginSchema)
    @auth_blp.response(200, TokenSchema)
    @auth_blp.alt_response(429, description="too many failed logins for this username or address; see Retry-After")
    @auth_blp.doc(security=[])
    def post(self, credentials):
        """Exchange a username and password for an access token."""
        return accounts.log_in(
            _uow(),
            _passwords(),
            current_app.extensions["crm.token_issuer"],
            credentials["username"],
            credentials["password"],
            throttle=_login_throttle(),
        )


@users_blp.route("/me")
class Me(MethodView):
    @users_blp.response(200, MeSchema)
    def get(self):
        """You: name, roles, teams and language."""
        return accounts.get_active_user(_uow(), current_identity().user_id)

    @users_blp.arguments(MeUpdateSchema)
    @users_blp.response(200, MeSchema)
    def patch(self, changes):
        """Change your language."""
        return accounts.change_locale(_uow(), current_identity().user_id, changes["locale"])


@users_blp.route("/users")
class Users(MethodView):
    @users_blp.response(200, UserPageSchema)
    @require_roles(*DIRECTORY_READERS)
    def get(self):
        """Every user, so pages can show names instead of ids."""
        users = accounts.list_users(_uow())
        return {"items": users, "total": len(users)}

    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    @require_roles(ADMIN)
    def post(self, new_user):
        """Create a user who can log in at once (administrators only)."""
        _still_active_admin()
        return accounts.create_user(
            _uow(),
            _passwords(),
            username=new_user["username"],
            password=new_user["password"],
            display_name=new_user["display_name"],
            roles=new_user["roles"],
            locale=new_user["locale"],
            team_names=new_user.get("team_names", ()),
        )


@users_blp.route("/users/<user_id>")
class UserById(MethodView):
    @users_blp.arguments(UserUpdateSchema)
    @users_blp.response(200, UserSchema)
    @require_roles(ADMIN)
    def patch(self, changes, user_id):
        """Change a user's name, roles, teams or active flag (administrators only; not your own admin role)."""
        admin = _still_active_admin()
        return accounts.change_user_as_admin(_uow(), admin.id, user_id, **changes)


@users_blp.route("/users/<user_id>/audit")
class UserAudit(MethodView):
    @users_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @users_blp.response(200, AuditPageSchema)
    @require_roles(ADMIN)
    def get(self, args, user_id):
        """Who created or changed the user (name, roles, teams, active), newest first (administrators only)."""
        return accounts.audit_trail(_uow(), "user", user_id, args["limit"], args["offset"])


@users_blp.route("/teams/<team_id>/audit")
class TeamAudit(MethodView):
    @users_blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @users_blp.response(200, AuditPageSchema)
    @require_roles(ADMIN)
    def get(self, args, team_id):
        """Who created the team and who joined or left it when, newest first (administrators only)."""
        return accounts.audit_trail(_uow(), "team", team_id, args["limit"], args["offset"])


@users_blp.route("/teams")
class Teams(MethodView):
    @users_blp.response(200, TeamListSchema)
    @require_roles(*DIRECTORY_READERS)
    def get(self):
        """Every team and how many users are in it."""
        teams = [
            {"id": team.id, "name": team.name, "member_count": members}
            for team, members in accounts.list_teams(_uow())
        ]
        return {"items": teams, "total": len(teams)}


def _still_active_admin():
    # A token outlives a disabled account; changing other accounts needs one that is still active.
    return accounts.get_active_user(_uow(), current_identity().user_id)
