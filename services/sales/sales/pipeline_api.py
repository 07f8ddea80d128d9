"""HTTP endpoints of the pipeline (stages, kanban, forecast), the product catalogue and the customer levels."""
from datetime import date, timedelta

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ADMIN, ROLES, SALES_MANAGER, current_identity, require_roles
from crm_shared.errors import APIError
from crm_shared.versioning import etag_header, required_version
from sales import catalogue_service, customer_service, pipeline_service
from sales.customer_schemas import LevelListSchema, LevelsInputSchema
from sales.pipeline_schemas import (
    ForecastQuerySchema,
    ForecastSchema,
    KanbanQuerySchema,
    KanbanSchema,
    PipelineInputSchema,
    ProductCreateSchema,
    ProductEditSchema,
    ProductListQuerySchema,
    ProductPageSchema,
    ProductSchema,
    StageListSchema,
)

pipeline_blp = Blueprint("pipeline", __name__, url_prefix="/api/v1/pipeline", description="Pipeline")
products_blp = Blueprint("products", __name__, url_prefix="/api/v1/products", description="Product catalogue")
levels_blp = Blueprint("customer-levels", __name__, url_prefix="/api/v1/customer-levels", description="Customer levels")

KEEPS_CATALOGUE = (ADMIN, SALES_MANAGER)
ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _board_filter(args, **window) -> pipeline_service.BoardFilter:
    viewer = current_identity()
    owner = args.get("owner")
    return pipeline_service.BoardFilter(
        owner_id=viewer.user_id if owner == "me" else owner, team_id=args.get("team"),
        customer_id=args.get("customer_id"), **window,
    )


@pipeline_blp.route("/stages")
class Stages(MethodView):
    @pipeline_blp.response(200, StageListSchema)
    @require_roles(*ROLES)
    def get(self):
        """The pipeline's stages in order, with their win probabilities."""
        return {"items": pipeline_service.pipeline_stages(_uow())}

    @pipeline_blp.arguments(PipelineInputSchema)
    @pipeline_blp.response(200, StageListSchema)
    @require_roles(ADMIN)
    def put(self, body):
        """Replace the stages, in order (admins); 409 `stage_in_use` for a removed stage that holds open deals."""
        return {"items": pipeline_service.configure_pipeline(_uow(), body["stages"])}


@pipeline_blp.route("/kanban")
class Kanban(MethodView):
    @pipeline_blp.arguments(KanbanQuerySchema, location="query", unknown=RAISE)
    @pipeline_blp.response(200, KanbanSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """The deals you may see by stage: count, totals per currency and the first deals of each column."""
        columns = pipeline_service.kanban(_uow(), _board_filter(args), current_identity(), args["per_column"],
                                          args["include_closed"])
        return {"columns": columns}


@pipeline_blp.route("/forecast")
class Forecast(MethodView):
    @pipeline_blp.arguments(ForecastQuerySchema, location="query", unknown=RAISE)
    @pipeline_blp.response(200, ForecastSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """Open deals by expected close month, from `from` to `to` (YYYY-MM): amount and amount × win probability."""
        start = date.fromisoformat(args["start"] + "-01")
        last_month = date.fromisoformat(args["end"] + "-01")
        end = (last_month + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        if end < start or (last_month.year - start.year) * 12 + last_month.month - start.month >= 60:
            raise APIError(422, "validation_failed", "`to` is a month from `from` up to five years later.",
                           {"to": ["Not after from, or too far."]})
        wanted = _board_filter(args, close_from=start, close_to=end)
        return {"items": pipeline_service.weighted_forecast(_uow(), wanted, current_identity(), args["per_owner"])}


@products_blp.route("")
class Products(MethodView):
    @products_blp.arguments(ProductListQuerySchema, location="query", unknown=RAISE)
    @products_blp.response(200, ProductPageSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """The products on sale (and withdrawn ones if asked), by sku."""
        items, total = catalogue_service.list_products(_uow(), not args["include_inactive"], args["limit"], args["offset"])
        return {"items": items, "total": total}

    @products_blp.arguments(ProductCreateSchema)
    @products_blp.response(201, ProductSchema, headers=ETAG_HEADER)
    @require_roles(*KEEPS_CATALOGUE)
    def post(self, fields):
        """Add a product; 409 `sku_taken` if its sku exists."""
        product = catalogue_service.add_product(_uow(), fields)
        return product, etag_header(product.version)


@products_blp.route("/<string:product_id>")
class ProductById(MethodView):
    @products_blp.response(200, ProductSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, product_id):
        """One product; the ETag is its version."""
        product = catalogue_service.get_product(_uow(), product_id)
        return product, etag_header(product.version)

    @products_blp.arguments(ProductEditSchema)
    @products_blp.response(200, ProductSchema, headers=ETAG_HEADER)
    @require_roles(*KEEPS_CATALOGUE)
    def patch(self, changes, product_id):
        """Rename, reprice or withdraw (active: false) a product; If-Match required."""
        version = required_version("product")
        product = catalogue_service.edit_product(_uow(), product_id, changes, version)
        return product, etag_header(product.version)


@levels_blp.route("")
class Levels(MethodView):
    @levels_blp.response(200, LevelListSchema)
    @require_roles(*ROLES)
    def get(self):
        """The customer levels a customer may have, in order."""
        return {"items": customer_service.customer_levels(_uow())}

    @levels_blp.arguments(LevelsInputSchema)
    @levels_blp.response(200, LevelListSchema)
    @require_roles(ADMIN)
    def put(self, body):
        """Replace the customer levels, in order (admins); 409 `level_in_use` for a removed level customers have."""
        return {"items": customer_service.configure_levels(_uow(), body["levels"])}
