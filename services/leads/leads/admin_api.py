"""HTTP endpoints of pools and markets, and manual distribution: parse, call the use case, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, current_identity, require_roles
from leads import admin_service, service
from leads.schemas import (
    DistributeRequestSchema,
    LeadListSchema,
    MarketAssigneesSchema,
    MarketCreateSchema,
    MarketListSchema,
    MarketSchema,
    MarketUpdateSchema,
    PoolCreateSchema,
    PoolListSchema,
    PoolSchema,
    PoolUpdateSchema,
)

pools_blp = Blueprint("pools", __name__, url_prefix="/api/v1/pools", description="Lead pools and public pools")
markets_blp = Blueprint("markets", __name__, url_prefix="/api/v1/markets", description="Markets (territories)")

MANAGERS = (ADMIN, SALES_MANAGER)
SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)


def _uow():
    return current_app.extensions["crm.uow_factory"]


@pools_blp.route("")
class Pools(MethodView):
    @pools_blp.response(200, PoolListSchema)
    @require_roles(*SALES_ROLES)
    def get(self):
        """The pools you belong to (every pool for managers)."""
        return {"items": admin_service.list_pools(_uow(), current_identity())}

    @pools_blp.arguments(PoolCreateSchema)
    @pools_blp.response(201, PoolSchema)
    @require_roles(*MANAGERS)
    def post(self, fields):
        """Create a pool with its scope and rules."""
        return admin_service.create_pool(_uow(), fields)


@pools_blp.route("/<string:pool_id>")
class PoolById(MethodView):
    @pools_blp.response(200, PoolSchema)
    @require_roles(*SALES_ROLES)
    def get(self, pool_id):
        """One pool you belong to."""
        return admin_service.get_pool(_uow(), pool_id, current_identity())

    @pools_blp.arguments(PoolUpdateSchema)
    @pools_blp.response(200, PoolSchema)
    @require_roles(*SALES_ROLES)
    def patch(self, changes, pool_id):
        """Change a pool; the rules given replace only those rules. Pool admins may change only the rules."""
        return admin_service.update_pool(_uow(), pool_id, changes, current_identity())

    @pools_blp.response(204)
    @require_roles(*MANAGERS)
    def delete(self, pool_id):
        """Delete an empty pool that is not a default pool."""
        admin_service.delete_pool(_uow(), pool_id)


@pools_blp.route("/<string:pool_id>/distribute")
class DistributeLeads(MethodView):
    @pools_blp.arguments(DistributeRequestSchema)
    @pools_blp.response(200, LeadListSchema)
    @require_roles(*SALES_ROLES)
    def post(self, body, pool_id):
        """Give pool leads to someone in the pool's scope (pool admins, admins, sales managers)."""
        leads = service.distribute_leads(_uow(), pool_id, body["lead_ids"], body["owner_id"], current_identity())
        return {"items": leads}


@markets_blp.route("")
class Markets(MethodView):
    @markets_blp.response(200, MarketListSchema)
    @require_roles(*MANAGERS)
    def get(self):
        """Every market."""
        return {"items": admin_service.list_markets(_uow())}

    @markets_blp.arguments(MarketCreateSchema)
    @markets_blp.response(201, MarketSchema)
    @require_roles(*MANAGERS)
    def post(self, fields):
        """Create a market: conditions on region, industry, company size and tags, and who works it."""
        return admin_service.create_market(_uow(), fields)


@markets_blp.route("/<string:market_id>")
class MarketById(MethodView):
    @markets_blp.response(200, MarketSchema)
    @require_roles(*MANAGERS)
    def get(self, market_id):
        """One market."""
        return admin_service.get_market(_uow(), market_id)

    @markets_blp.arguments(MarketUpdateSchema)
    @markets_blp.response(200, MarketSchema)
    @require_roles(*MANAGERS)
    def patch(self, changes, market_id):
        """Change a market's name, conditions or assignees."""
        return admin_service.update_market(_uow(), market_id, changes)

    @markets_blp.response(204)
    @require_roles(*MANAGERS)
    def delete(self, market_id):
        """Delete a market; reps and teams lose it."""
        admin_service.delete_market(_uow(), market_id)


@markets_blp.route("/<string:market_id>/assignees")
class MarketAssignees(MethodView):
    @markets_blp.arguments(MarketAssigneesSchema)
    @markets_blp.response(200, MarketSchema)
    @require_roles(*MANAGERS)
    def put(self, assignees, market_id):
        """Assign the market to exactly these users and teams."""
        return admin_service.update_market(_uow(), market_id, assignees)
