"""HTTP endpoints of reporting: dashboards read from the read models."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SERVICE_MANAGER, require_roles
from reporting import service
from reporting.schemas import ChannelDashboardSchema

blp = Blueprint("dashboards", __name__, url_prefix="/api/v1/dashboards", description="Dashboards built from events")

# Reps and agents get their own scoped dashboards in a later issue; until then they see none.
DASHBOARD_ROLES = (ADMIN, SALES_MANAGER, EXECUTIVE, SERVICE_MANAGER)


def _uow():
    return current_app.extensions["crm.uow_factory"]


@blp.route("/channels")
class ChannelDashboard(MethodView):
    @blp.response(200, ChannelDashboardSchema)
    @require_roles(*DASHBOARD_ROLES)
    def get(self):
        """The funnel per acquisition channel, with totals."""
        return service.channel_dashboard(_uow())
