"""HTTP endpoints of reporting: dashboards read from the read models."""
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE

from crm_shared.auth import ADMIN, EXECUTIVE, ROLES, SALES_MANAGER, SERVICE_MANAGER, current_identity, require_roles
from reporting import service
from reporting.schema_dump import dump_response
from reporting.schemas import (
    AcquisitionDashboardSchema,
    ChannelDashboardSchema,
    DashboardQuerySchema,
    ExecutiveDashboardSchema,
    PoolDashboardSchema,
    SalesDashboardSchema,
    ServiceDashboardSchema,
)

blp = Blueprint("dashboards", __name__, url_prefix="/api/v1/dashboards", description="Dashboards built from events")

# The all-time channel counters are for managers; the period dashboards are scoped to each viewer instead.
DASHBOARD_ROLES = (ADMIN, SALES_MANAGER, EXECUTIVE, SERVICE_MANAGER)
EXECUTIVE_ROLES = (ADMIN, EXECUTIVE, SALES_MANAGER)


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _dashboard_request() -> service.DashboardRequest:
    # The raw query, not webargs' parse: a bad parameter is a 400 naming it, not a 422.
    return service.dashboard_request(current_identity(), request.args.to_dict())


@blp.route("/channels")
class ChannelDashboard(MethodView):
    @blp.response(200, ChannelDashboardSchema)
    @require_roles(*DASHBOARD_ROLES)
    def get(self):
        """The funnel per acquisition channel, with totals."""
        return service.channel_dashboard(_uow())


@blp.route("/acquisition")
class AcquisitionDashboard(MethodView):
    @blp.arguments(DashboardQuerySchema, location="query", unknown=INCLUDE, as_kwargs=True)
    @blp.response(200, AcquisitionDashboardSchema)
    @require_roles(*ROLES)
    def get(self, **_):
        """Leads acquired, claimed and converted, customers, deals and tickets per channel and campaign in a period."""
        return dump_response(AcquisitionDashboardSchema, service.acquisition_dashboard(_uow(), _dashboard_request()))


@blp.route("/sales")
class SalesDashboard(MethodView):
    @blp.arguments(DashboardQuerySchema, location="query", unknown=INCLUDE, as_kwargs=True)
    @blp.response(200, SalesDashboardSchema)
    @require_roles(*ROLES)
    def get(self, **_):
        """Follow-ups, pipeline, won deals, payments, overdue installments, invoices and refunds per rep and team."""
        return dump_response(SalesDashboardSchema, service.sales_dashboard(_uow(), _dashboard_request()))


@blp.route("/service")
class ServiceDashboard(MethodView):
    @blp.arguments(DashboardQuerySchema, location="query", unknown=INCLUDE, as_kwargs=True)
    @blp.response(200, ServiceDashboardSchema)
    @require_roles(*ROLES)
    def get(self, **_):
        """Ticket volume, response and resolution times, SLA compliance and satisfaction in a period."""
        return dump_response(ServiceDashboardSchema, service.service_dashboard(_uow(), _dashboard_request()))


@blp.route("/pool")
class PoolDashboard(MethodView):
    @blp.arguments(DashboardQuerySchema, location="query", unknown=INCLUDE, as_kwargs=True)
    @blp.response(200, PoolDashboardSchema)
    @require_roles(*ROLES)
    def get(self, **_):
        """Pool entries and exits by kind, return and recycle reasons, and time from claim to first follow-up."""
        return dump_response(PoolDashboardSchema, service.pool_dashboard(_uow(), _dashboard_request()))


@blp.route("/executive")
class ExecutiveDashboard(MethodView):
    @blp.arguments(DashboardQuerySchema, location="query", unknown=INCLUDE, as_kwargs=True)
    @blp.response(200, ExecutiveDashboardSchema)
    @require_roles(*EXECUTIVE_ROLES)
    def get(self, **_):
        """Revenue, payments collected and sales expenses against the previous period, and target achievement."""
        return dump_response(ExecutiveDashboardSchema, service.executive_dashboard(_uow(), _dashboard_request()))
