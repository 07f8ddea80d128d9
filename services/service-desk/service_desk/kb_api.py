"""HTTP endpoints of the knowledge base, solutions and ticket suggestions: parse, call kb_service, serialise."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.auth import ROLES, current_identity, require_roles
from crm_shared.versioning import etag_header, required_version
from service_desk import kb_service
from service_desk.kb_repository import ArticleListQuery
from service_desk.kb_schemas import (
    ArticleCreateSchema,
    ArticleEditSchema,
    ArticleListQuerySchema,
    ArticlePageSchema,
    ArticleSchema,
    CategoryCreateSchema,
    CategoryEditSchema,
    CategoryListSchema,
    CategorySchema,
    HitPageSchema,
    PromoteSchema,
    PublicSearchQuerySchema,
    SearchQuerySchema,
    SolutionCreateSchema,
    SolutionListSchema,
    SolutionSchema,
    SuggestionListSchema,
    SuggestionQuerySchema,
    VersionListSchema,
    VoteResultSchema,
    VoteSchema,
    present_article,
)
from service_desk.kb_service import DESK, EDITORS

kb_blp = Blueprint("knowledge_base", __name__, url_prefix="/api/v1/kb", description="Knowledge base")
public_kb_blp = Blueprint("public_knowledge_base", __name__, url_prefix="/api/v1/public/kb",
                          description="Public knowledge base (no login)")
ticket_kb_blp = Blueprint("ticket_knowledge", __name__, url_prefix="/api/v1/tickets",
                          description="Solutions and suggested articles of a ticket")
solutions_blp = Blueprint("solutions", __name__, url_prefix="/api/v1/solutions", description="Solutions")
BLUEPRINTS = (kb_blp, public_kb_blp, ticket_kb_blp, solutions_blp)

ETAG_HEADER = {"ETag": {"description": "the version, to send back in If-Match", "schema": {"type": "string"}}}


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _versioned(read):
    return present_article(read), etag_header(read.article.version)


# --- categories --------------------------------------------------------------------------------------

@kb_blp.route("/categories")
class Categories(MethodView):
    @kb_blp.response(200, CategoryListSchema)
    @require_roles(*ROLES)
    def get(self):
        """Every category, by name; each names its parent (null at the top)."""
        items = kb_service.list_categories(_uow())
        return {"items": items, "total": len(items)}

    @kb_blp.arguments(CategoryCreateSchema)
    @kb_blp.response(201, CategorySchema)
    @require_roles(*EDITORS)
    def post(self, fields):
        """Add a category, under a parent if given; 409 `category_name_taken` beside a namesake."""
        return kb_service.create_category(_uow(), fields["name"].strip(), fields["parent_id"])


@kb_blp.route("/categories/<string:category_id>")
class CategoryById(MethodView):
    @kb_blp.arguments(CategoryEditSchema)
    @kb_blp.response(200, CategorySchema)
    @require_roles(*EDITORS)
    def patch(self, changes, category_id):
        """Rename or move a category; 409 `category_cycle` under itself or a descendant."""
        if "name" in changes:
            changes["name"] = changes["name"].strip()
        return kb_service.edit_category(_uow(), category_id, changes)

    @kb_blp.response(204)
    @require_roles(*EDITORS)
    def delete(self, category_id):
        """Remove an empty category; 409 `category_in_use` while it has subcategories or articles."""
        kb_service.delete_category(_uow(), category_id)


@public_kb_blp.route("/categories")
class PublicCategories(MethodView):
    crm_public = True

    @public_kb_blp.response(200, CategoryListSchema)
    def get(self):
        """Every category, without login."""
        items = kb_service.list_categories(_uow())
        return {"items": items, "total": len(items)}


# --- articles ----------------------------------------------------------------------------------------

@kb_blp.route("/articles")
class Articles(MethodView):
    @kb_blp.arguments(ArticleListQuerySchema, location="query", unknown=RAISE)
    @kb_blp.response(200, ArticlePageSchema)
    @require_roles(*DESK)
    def get(self, args):
        """Articles, drafts included, most recently changed first."""
        reads, total = kb_service.list_articles(_uow(), ArticleListQuery(**args))
        return {"items": [present_article(read) for read in reads], "total": total}

    @kb_blp.arguments(ArticleCreateSchema)
    @kb_blp.response(201, ArticleSchema, headers=ETAG_HEADER)
    @require_roles(*DESK)
    def post(self, fields):
        """Write a new article; it is a draft until published."""
        return _versioned(kb_service.write_article(_uow(), fields, current_identity()))


@kb_blp.route("/articles/<string:article_id>")
class ArticleById(MethodView):
    @kb_blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    @require_roles(*ROLES)
    def get(self, article_id):
        """One article: the desk sees its draft too, others only a published article they may read."""
        return _versioned(kb_service.get_article(_uow(), article_id, current_identity()))

    @kb_blp.arguments(ArticleEditSchema)
    @kb_blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    @require_roles(*DESK)
    def patch(self, changes, article_id):
        """Edit the draft, or start a new draft from the published version; If-Match required (428, 412)."""
        version = required_version("article")
        return _versioned(kb_service.edit_article(_uow(), article_id, changes, version, current_identity()))


@kb_blp.route("/articles/<string:article_id>/publish")
class PublishArticle(MethodView):
    @kb_blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    @require_roles(*EDITORS)
    def post(self, article_id):
        """Publish the draft, which becomes current; If-Match required; 409 `no_draft` without a draft."""
        version = required_version("article")
        return _versioned(kb_service.publish_article(_uow(), article_id, version, current_identity()))


@kb_blp.route("/articles/<string:article_id>/versions")
class ArticleVersions(MethodView):
    @kb_blp.response(200, VersionListSchema)
    @require_roles(*DESK)
    def get(self, article_id):
        """Every version of the article, newest first."""
        return {"items": kb_service.article_versions(_uow(), article_id)}


@kb_blp.route("/articles/<string:article_id>/votes")
class ArticleVotes(MethodView):
    @kb_blp.arguments(VoteSchema)
    @kb_blp.response(200, VoteResultSchema)
    @require_roles(*DESK)
    def post(self, vote, article_id):
        """Mark whether the article helped with a ticket; once per agent and ticket (a new mark replaces it)."""
        return kb_service.mark_helpfulness(_uow(), article_id, vote["ticket_id"], vote["helped"], current_identity())


@kb_blp.route("/search")
class Search(MethodView):
    @kb_blp.arguments(SearchQuerySchema, location="query", unknown=RAISE)
    @kb_blp.response(200, HitPageSchema)
    @require_roles(*ROLES)
    def get(self, args):
        """Published articles for a query in Chinese or English, best first; internal ones for the desk only."""
        hits, total = kb_service.search(_uow(), args.pop("q"), current_identity(), **args)
        return {"items": hits, "total": total}


@public_kb_blp.route("/search")
class PublicSearch(MethodView):
    crm_public = True

    @public_kb_blp.arguments(PublicSearchQuerySchema, location="query", unknown=RAISE)
    @public_kb_blp.response(200, HitPageSchema)
    def get(self, args):
        """Public published articles for a query, without login."""
        hits, total = kb_service.search(_uow(), args.pop("q"), None, **args)
        return {"items": hits, "total": total}


@public_kb_blp.route("/articles/<string:article_id>")
class PublicArticle(MethodView):
    crm_public = True

    @public_kb_blp.response(200, ArticleSchema)
    def get(self, article_id):
        """A published public article, without login (a login does not show more here)."""
        return present_article(kb_service.get_article(_uow(), article_id, None))


# --- tickets: suggestions and solutions ------------------------------------------------------------

@ticket_kb_blp.route("/<string:ticket_id>/suggestions")
class TicketSuggestions(MethodView):
    @ticket_kb_blp.arguments(SuggestionQuerySchema, location="query", unknown=RAISE)
    @ticket_kb_blp.response(200, SuggestionListSchema)
    @require_roles(*ROLES)
    def get(self, args, ticket_id):
        """Published articles for the ticket's subject and description, best first, with the caller's marks."""
        return {"items": kb_service.suggestions(_uow(), ticket_id, current_identity(), args["limit"])}


@ticket_kb_blp.route("/<string:ticket_id>/solutions")
class TicketSolutions(MethodView):
    @ticket_kb_blp.response(200, SolutionListSchema)
    @require_roles(*ROLES)
    def get(self, ticket_id):
        """The solutions recorded for the ticket, oldest first."""
        return {"items": kb_service.solutions_of_ticket(_uow(), ticket_id, current_identity())}

    @ticket_kb_blp.arguments(SolutionCreateSchema)
    @ticket_kb_blp.response(201, SolutionSchema)
    @require_roles(*DESK)
    def post(self, fields, ticket_id):
        """Record how the ticket was solved; 409 `ticket_not_resolved` before it is resolved."""
        return kb_service.record_solution(_uow(), ticket_id, fields, current_identity())


@solutions_blp.route("/<string:solution_id>")
class SolutionById(MethodView):
    @solutions_blp.response(200, SolutionSchema)
    @require_roles(*DESK)
    def get(self, solution_id):
        """One solution."""
        return kb_service.get_solution(_uow(), solution_id)


@solutions_blp.route("/<string:solution_id>/promote")
class PromoteSolution(MethodView):
    @solutions_blp.arguments(PromoteSchema)
    @solutions_blp.response(201, ArticleSchema, headers=ETAG_HEADER)
    @require_roles(*DESK)
    def post(self, fields, solution_id):
        """Start a knowledge-base draft from the solution, linked both ways; 409 `solution_already_promoted`."""
        return _versioned(kb_service.promote_solution(_uow(), solution_id, fields, current_identity()))
