"""The use cases of the knowledge base and of solutions: writing, publishing, searching, suggesting, voting."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from crm_shared.auth import ADMIN, SERVICE_AGENT, SERVICE_MANAGER, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, NotFound
from crm_shared.versioning import check_version
from service_desk import service
from service_desk.kb_events import article_published, solution_recorded
from service_desk.kb import (
    INTERNAL,
    PUBLIC,
    PUBLISHED,
    Article,
    ArticleNotPublished,
    ArticleVersion,
    Category,
    CategoryCycle,
    CategoryInUse,
    CategoryNameTaken,
    would_cycle,
)
from service_desk.kb_repository import ArticleListQuery, ArticleSearchQuery
from service_desk.kb_search import Terms, excerpt, ranked, terms_of
from service_desk.solutions import Solution, SolutionAlreadyPromoted
from service_desk.uow import ServiceDeskUnitOfWork

UowFactory = Callable[[], ServiceDeskUnitOfWork]
# The desk writes articles and solutions and reads internal articles; managers also publish and arrange categories.
DESK = (ADMIN, SERVICE_AGENT, SERVICE_MANAGER)
EDITORS = (ADMIN, SERVICE_MANAGER)
SUGGESTIONS_MAX = 20


@dataclass(frozen=True)
class ArticleRead:
    """An article as one reader sees it: its votes, and its pending draft only if the reader works on articles."""

    article: Article
    helped: int = 0
    not_helped: int = 0
    with_draft: bool = False


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    excerpt: str
    category_id: str | None
    tags: tuple[str, ...]
    visibility: str
    published_at: datetime
    helped_count: int
    not_helped_count: int
    score: float
    my_vote: bool | None = None


def visibilities_for(reader: Identity | None) -> tuple[str, ...]:
    """Internal articles are for the desk; everyone else, and the public, reads public ones."""
    return (INTERNAL, PUBLIC) if reader is not None and reader.has_any(*DESK) else (PUBLIC,)


# --- categories --------------------------------------------------------------------------------------

def list_categories(uow_factory: UowFactory) -> list[Category]:
    with uow_factory() as uow:
        return uow.kb_categories.all()


def create_category(uow_factory: UowFactory, name: str, parent_id: str | None) -> Category:
    with uow_factory() as uow:
        if parent_id is not None and uow.kb_categories.get(parent_id) is None:
            raise _unknown("parent_id", "No category with this id.")
        if uow.kb_categories.sibling_named(name, parent_id):
            raise CategoryNameTaken()
        category = Category(str(uuid.uuid4()), name, parent_id)
        uow.kb_categories.add(category, utc_now())
        uow.commit()
        return category


def edit_category(uow_factory: UowFactory, category_id: str, changes: dict) -> Category:
    with uow_factory() as uow:
        category = uow.kb_categories.get(category_id)
        if category is None:
            raise NotFound("category", category_id)
        name = changes.get("name", category.name)
        parent_id = changes.get("parent_id", category.parent_id)
        if parent_id is not None and uow.kb_categories.get(parent_id) is None:
            raise _unknown("parent_id", "No category with this id.")
        parents = {c.id: c.parent_id for c in uow.kb_categories.all()}
        if would_cycle(category_id, parent_id, parents):
            raise CategoryCycle()
        if uow.kb_categories.sibling_named(name, parent_id, other_than=category_id):
            raise CategoryNameTaken()
        category = Category(category_id, name, parent_id)
        uow.kb_categories.save(category)
        uow.commit()
        return category


def delete_category(uow_factory: UowFactory, category_id: str) -> None:
    with uow_factory() as uow:
        if uow.kb_categories.get(category_id) is None:
            raise NotFound("category", category_id)
        if uow.kb_categories.in_use(category_id):
            raise CategoryInUse()
        uow.kb_categories.remove(category_id)
        uow.commit()


# --- articles ----------------------------------------------------------------------------------------

def write_article(uow_factory: UowFactory, fields: dict, author: Identity) -> ArticleRead:
    """A new article as a draft (version 1)."""
    with uow_factory() as uow:
        _check_category(uow, fields.get("category_id"))
        article = Article.write(title=fields["title"], body=fields["body"], tags=fields.get("tags", ()),
                                visibility=fields["visibility"], category_id=fields.get("category_id"),
                                author=author.user_id, now=utc_now())
        uow.kb_articles.add(article)
        uow.commit()
        return ArticleRead(article, with_draft=True)


def get_article(uow_factory: UowFactory, article_id: str, reader: Identity | None) -> ArticleRead:
    """The desk reads any article with its draft; others (and the public) a published one they may see."""
    with uow_factory() as uow:
        article = uow.kb_articles.get(article_id)
        desk = reader is not None and reader.has_any(*DESK)
        if article is None or not (desk or _readable(article, visibilities_for(reader))):
            raise NotFound("article", article_id)
        helped, not_helped = uow.kb_search.votes([article.id]).get(article.id, (0, 0))
        return ArticleRead(article, helped, not_helped, with_draft=desk)


def list_articles(uow_factory: UowFactory, query: ArticleListQuery) -> tuple[list[ArticleRead], int]:
    with uow_factory() as uow:
        articles, total = uow.kb_articles.list(query)
        votes = uow.kb_search.votes([a.id for a in articles])
        return [ArticleRead(a, *votes.get(a.id, (0, 0)), with_draft=True) for a in articles], total


def edit_article(uow_factory: UowFactory, article_id: str, changes: dict, expected_version: int,
                 editor: Identity) -> ArticleRead:
    """Edit the draft, starting a new one from the published version if there is none; If-Match required."""
    with uow_factory() as uow:
        article = _article(uow, article_id)
        check_version("article", expected_version, article.version)
        if "category_id" in changes:
            _check_category(uow, changes["category_id"])
        article.edit(changes, editor.user_id, utc_now())
        uow.kb_articles.save(article)
        uow.commit()
        return _read(uow, article)


def publish_article(uow_factory: UowFactory, article_id: str, expected_version: int,
                    publisher: Identity) -> ArticleRead:
    """Make the draft the current version; 409 `no_draft` without one."""
    with uow_factory() as uow:
        article = _article(uow, article_id)
        check_version("article", expected_version, article.version)
        article.publish(publisher.user_id, utc_now())
        uow.kb_articles.save(article)
        uow.emit(article_published(article))
        uow.commit()
        return _read(uow, article)


def article_versions(uow_factory: UowFactory, article_id: str) -> list[ArticleVersion]:
    """Every version of the article, newest first."""
    with uow_factory() as uow:
        return sorted(_article(uow, article_id).versions, key=lambda v: v.number, reverse=True)


def mark_helpfulness(uow_factory: UowFactory, article_id: str, ticket_id: str, helped: bool,
                     agent: Identity) -> dict:
    """Whether the article helped the agent with the ticket; a second mark on the same ticket replaces the first."""
    service.get_ticket(uow_factory, ticket_id, agent)
    with uow_factory() as uow:
        article = _article(uow, article_id)
        if article.status != PUBLISHED:
            raise ArticleNotPublished()
        uow.kb_votes.cast(article.id, ticket_id, agent.user_id, helped, utc_now())
        uow.commit()
        helped_count, not_helped_count = uow.kb_search.votes([article.id]).get(article.id, (0, 0))
    return {"article_id": article_id, "ticket_id": ticket_id, "helped": helped,
            "helped_count": helped_count, "not_helped_count": not_helped_count}


# --- search and suggestions --------------------------------------------------------------------------

def search(uow_factory: UowFactory, q: str, reader: Identity | None, *, category_id: str | None = None,
           tag: str | None = None, limit: int = 20, offset: int = 0) -> tuple[list[Hit], int]:
    """Published articles the reader may see, best first; 422 `query_too_short` when nothing in `q` is searchable."""
    terms = terms_of(q)
    if not terms:
        raise APIError(422, "query_too_short", "Search for a word of at least 3 letters or 2 Chinese characters.",
                       {"q": ["At least one word of 3 letters, or 2 Chinese characters."]})
    return _ranked_hits(uow_factory, ArticleSearchQuery(terms, visibilities_for(reader), category_id, tag),
                        limit, offset)


def suggestions(uow_factory: UowFactory, ticket_id: str, reader: Identity, limit: int = 5) -> list[Hit]:
    """Published articles ranked for the ticket's subject and description, with the reader's mark on each."""
    ticket = service.get_ticket(uow_factory, ticket_id, reader)
    terms = terms_of(f"{ticket.subject}\n{ticket.description or ''}")
    if not terms:
        return []
    hits, _ = _ranked_hits(uow_factory, ArticleSearchQuery(terms, visibilities_for(reader)),
                           min(limit, SUGGESTIONS_MAX), 0)
    with uow_factory() as uow:
        mine = uow.kb_votes.of_agent_on_ticket(ticket_id, reader.user_id)
    return [Hit(**{**hit.__dict__, "my_vote": mine.get(hit.article_id)}) for hit in hits]


def _ranked_hits(uow_factory: UowFactory, query: ArticleSearchQuery, limit: int, offset: int
                 ) -> tuple[list[Hit], int]:
    with uow_factory() as uow:
        candidates, total = uow.kb_search.candidates(query)
        page = ranked(candidates, utc_now())[offset:offset + limit]
        articles = {a.id: a for a in uow.kb_articles.get_many([candidate.article_id for candidate, _ in page])}
    return [_hit(articles[candidate.article_id], candidate, score, query.terms)
            for candidate, score in page if candidate.article_id in articles], total


def _hit(article: Article, candidate, score: float, terms: Terms) -> Hit:
    current = article.current
    return Hit(article_id=article.id, title=current.title, excerpt=excerpt(current.body, terms),
               category_id=article.category_id, tags=current.tags, visibility=current.visibility,
               published_at=current.published_at, helped_count=candidate.helped,
               not_helped_count=candidate.not_helped, score=round(score, 4))


# --- solutions ---------------------------------------------------------------------------------------

def record_solution(uow_factory: UowFactory, ticket_id: str, fields: dict, author: Identity) -> Solution:
    """How a resolved ticket was solved; 409 `ticket_not_resolved` before it is resolved."""
    service.get_ticket(uow_factory, ticket_id, author)
    with uow_factory() as uow:
        # The status read in the transaction that records the solution, not the one the permission check saw.
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound("ticket", ticket_id)
        solution = Solution.record(ticket.status, ticket_id=ticket.id, summary=fields["summary"],
                                   steps=fields.get("steps", ()), author=author.user_id, now=utc_now())
        uow.solutions.add(solution)
        uow.emit(solution_recorded(solution))
        uow.commit()
    return solution


def solutions_of_ticket(uow_factory: UowFactory, ticket_id: str, reader: Identity) -> list[Solution]:
    service.get_ticket(uow_factory, ticket_id, reader)
    with uow_factory() as uow:
        return uow.solutions.of_ticket(ticket_id)


def get_solution(uow_factory: UowFactory, solution_id: str) -> Solution:
    with uow_factory() as uow:
        solution = uow.solutions.get(solution_id)
        if solution is None:
            raise NotFound("solution", solution_id)
        return solution


def promote_solution(uow_factory: UowFactory, solution_id: str, fields: dict, author: Identity) -> ArticleRead:
    """A knowledge-base draft prefilled from the solution, linked both ways; once per solution."""
    with uow_factory() as uow:
        solution = uow.solutions.get(solution_id)
        if solution is None:
            raise NotFound("solution", solution_id)
        _check_category(uow, fields.get("category_id"))
        article = solution.draft_article(category_id=fields.get("category_id"), visibility=fields["visibility"],
                                         author=author.user_id, now=utc_now())
        uow.kb_articles.add(article)
        if not uow.solutions.link_article(solution.id, article.id):
            raise SolutionAlreadyPromoted()
        uow.commit()
        return ArticleRead(article, with_draft=True)


# --- helpers -----------------------------------------------------------------------------------------

def _article(uow, article_id: str) -> Article:
    article = uow.kb_articles.get(article_id)
    if article is None:
        raise NotFound("article", article_id)
    return article


def _read(uow, article: Article) -> ArticleRead:
    helped, not_helped = uow.kb_search.votes([article.id]).get(article.id, (0, 0))
    return ArticleRead(article, helped, not_helped, with_draft=True)


def _readable(article: Article, visibilities: tuple[str, ...]) -> bool:
    return article.current is not None and article.current.visibility in visibilities


def _check_category(uow, category_id: str | None) -> None:
    if category_id is not None and uow.kb_categories.get(category_id) is None:
        raise _unknown("category_id", "No category with this id.")


def _unknown(field: str, message: str) -> APIError:
    return APIError(422, f"unknown_{field.removesuffix('_id')}", f"Some fields are not valid. {field}: {message}",
                    {field: [message]})
