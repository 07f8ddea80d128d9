"""HTTP endpoints of the managers' views: parse, ask `sales.team_views` in one unit of work, serialise."""
from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.envelope import utc_now
from sales import team_views
from sales.target_service import period_of
from sales.targets import Period
from sales.team_view_schemas import StaleOpportunityListSchema, StaleQuerySchema, TeamViewQuerySchema, TeamViewSchema

team_views_blp = Blueprint("team_views", __name__, url_prefix="/api/v1/team-views",
                           description="The managers' views of their reps")
# A rep sees their own row; managers their teams' members; admins and executives everyone.
VIEWERS = (ADMIN, EXECUTIVE, SALES_MANAGER, SALES_REP)


def _uow():
    return current_app.extensions["crm.uow_factory"]


@team_views_blp.route("/reps")
class RepViews(MethodView):
    @team_views_blp.arguments(TeamViewQuerySchema, location="query", unknown=RAISE)
    @team_views_blp.response(200, TeamViewSchema)
    @require_roles(*VIEWERS)
    def get(self, args):
        """Per rep you may see: open pipeline by stage, won in the period, stale deals, idle customers, overdue
        installments, contracts awaiting approval, the sales ledger and targets reached."""
        now = utc_now()
        period = period_of(args["period"]) if args.get("period") else Period.month_of(now.date())
        query = team_views.ViewQuery(period, args["stale_days"], args["idle_days"], now, args.get("team"))
        reps = team_views.view_of_reps(_uow(), current_identity(), query)
        return {"period": period.key, "period_start": period.start, "period_end": period.end,
                "stale_days": query.stale_days, "idle_days": query.idle_days, "as_of": now, "reps": reps}


@team_views_blp.route("/stale-opportunities")
class StaleOpportunities(MethodView):
    @team_views_blp.arguments(StaleQuerySchema, location="query", unknown=RAISE)
    @team_views_blp.response(200, StaleOpportunityListSchema)
    @require_roles(*VIEWERS)
    def get(self, args):
        """Open deals of reps you may see with no stage move for `stale_days`, the longest untouched first."""
        since = utc_now() - timedelta(days=args["stale_days"])
        return {"items": team_views.stale_deals(_uow(), current_identity(), args.get("rep"), since)}
