"""Request and response schemas of the knowledge base and of solutions; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from service_desk.kb import (
    ARTICLE_STATUSES,
    BODY_MAX,
    CATEGORY_NAME_MAX,
    INTERNAL,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    VISIBILITIES,
)
from service_desk.kb_search import LONGEST_QUERY
from service_desk.kb_service import SUGGESTIONS_MAX, ArticleRead
from service_desk.solutions import STEP_MAX, STEPS_MAX, SUMMARY_MAX

_NOT_BLANK = validate.Regexp(r"\S", error="Cannot be blank.")


def _title(**kwargs):
    return fields.String(validate=[validate.Length(min=1, max=TITLE_MAX), _NOT_BLANK], **kwargs)


def _tags(**kwargs):
    return fields.List(fields.String(validate=validate.Length(min=1, max=TAG_MAX)),
                       validate=validate.Length(max=TAGS_MAX), **kwargs)


class CategoryCreateSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=CATEGORY_NAME_MAX), _NOT_BLANK])
    parent_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))


class CategoryEditSchema(Schema):
    name = fields.String(validate=[validate.Length(min=1, max=CATEGORY_NAME_MAX), _NOT_BLANK])
    parent_id = fields.String(allow_none=True, validate=validate.Length(max=36))


class CategorySchema(Schema):
    id = fields.String()
    name = fields.String()
    parent_id = fields.String(allow_none=True)


class CategoryListSchema(Schema):
    items = fields.List(fields.Nested(CategorySchema))
    total = fields.Integer()


class ArticleCreateSchema(Schema):
    title = _title(required=True)
    body = fields.String(required=True, validate=validate.Length(max=BODY_MAX))
    category_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))
    visibility = fields.String(load_default=INTERNAL, validate=validate.OneOf(VISIBILITIES))
    tags = _tags(load_default=list)


class ArticleEditSchema(Schema):
    title = _title()
    body = fields.String(validate=validate.Length(max=BODY_MAX))
    category_id = fields.String(allow_none=True, validate=validate.Length(max=36))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    tags = _tags()


class VersionSchema(Schema):
    number = fields.Integer()
    title = fields.String()
    body = fields.String()
    tags = fields.List(fields.String())
    visibility = fields.String()
    state = fields.String(metadata={"description": "draft, published (the current one) or superseded"})
    created_by = fields.String()
    created_at = fields.DateTime()
    published_by = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema))


class ArticleSchema(Schema):
    id = fields.String()
    category_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "draft until a version is first published"})
    title = fields.String()
    body = fields.String()
    tags = fields.List(fields.String())
    visibility = fields.String()
    published_version = fields.Integer(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    draft = fields.Nested(VersionSchema, allow_none=True, metadata={"description": "the pending draft (desk only)"})
    source_solution_id = fields.String(allow_none=True)
    helped_count = fields.Integer()
    not_helped_count = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


def present_article(read: ArticleRead) -> dict:
    """The article as its reader sees it: the current text (or the draft's while never published)."""
    article = read.article
    shown = article.shown if read.with_draft else article.current
    current = article.current
    return {
        "id": article.id,
        "category_id": article.category_id,
        "status": article.status,
        "title": shown.title,
        "body": shown.body,
        "tags": list(shown.tags),
        "visibility": shown.visibility,
        "published_version": current.number if current else None,
        "published_at": current.published_at if current else None,
        "draft": article.draft if read.with_draft else None,
        "source_solution_id": article.source_solution_id,
        "helped_count": read.helped,
        "not_helped_count": read.not_helped,
        "created_by": article.created_by,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "version": article.version,
    }


class ArticlePageSchema(Schema):
    items = fields.List(fields.Nested(ArticleSchema))
    total = fields.Integer()


class ArticleListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(ARTICLE_STATUSES))
    category_id = fields.String(validate=validate.Length(max=36))
    tag = fields.String(validate=validate.Length(min=1, max=TAG_MAX))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class SearchQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=LONGEST_QUERY))
    category_id = fields.String(validate=validate.Length(max=36))
    tag = fields.String(validate=validate.Length(min=1, max=TAG_MAX))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=200))


class PublicSearchQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category_id = fields.String(validate=validate.Length(max=36))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=200))


class HitSchema(Schema):
    id = fields.String(attribute="article_id")
    title = fields.String()
    excerpt = fields.String()
    category_id = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    visibility = fields.String()
    published_at = fields.DateTime()
    helped_count = fields.Integer()
    not_helped_count = fields.Integer()
    score = fields.Float(metadata={"description": "relevance x helpfulness + recency; higher is better"})


class HitPageSchema(Schema):
    items = fields.List(fields.Nested(HitSchema))
    total = fields.Integer()


class SuggestionSchema(HitSchema):
    my_vote = fields.Boolean(allow_none=True, metadata={"description": "the caller's mark for this ticket, if any"})


class SuggestionListSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema))


class SuggestionQuerySchema(Schema):
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=SUGGESTIONS_MAX))


class VoteSchema(Schema):
    ticket_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    # Only JSON true or false: "yes" or "0" would be a guess.
    helped = fields.Boolean(required=True, truthy={True}, falsy={False})


class VoteResultSchema(Schema):
    article_id = fields.String()
    ticket_id = fields.String()
    helped = fields.Boolean()
    helped_count = fields.Integer()
    not_helped_count = fields.Integer()


class SolutionCreateSchema(Schema):
    summary = fields.String(required=True, validate=[validate.Length(min=1, max=SUMMARY_MAX), _NOT_BLANK])
    steps = fields.List(fields.String(validate=[validate.Length(min=1, max=STEP_MAX), _NOT_BLANK]),
                        load_default=list, validate=validate.Length(max=STEPS_MAX))


class SolutionSchema(Schema):
    id = fields.String()
    ticket_id = fields.String()
    summary = fields.String()
    steps = fields.List(fields.String())
    created_by = fields.String()
    created_at = fields.DateTime()
    article_id = fields.String(allow_none=True)


class SolutionListSchema(Schema):
    items = fields.List(fields.Nested(SolutionSchema))


class PromoteSchema(Schema):
    category_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))
    visibility = fields.String(load_default=INTERNAL, validate=validate.OneOf(VISIBILITIES))
