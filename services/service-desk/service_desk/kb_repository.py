"""Loading and saving knowledge-base categories, articles with their versions, votes and solutions; article search."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, and_, case, cast, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from crm_shared.versioning import VersionMismatch
from service_desk.db_kb import kb_article_versions, kb_articles, kb_article_votes, kb_categories, ticket_solutions
from service_desk.kb import PUBLISHED, Article, ArticleVersion, Category
from service_desk.kb_search import TITLE_WEIGHT, Candidate, Terms, indexed
from service_desk.repository import dialect_insert
from service_desk.solutions import Solution

TAG_SEPARATOR = "\x1f"
# Only this many best matches by text are weighed by votes and recency; a query matching more is too vague to page far.
CANDIDATES = 200


class Categories:
    def __init__(self, session: Session):
        self.session = session

    def all(self) -> list[Category]:
        rows = self.session.execute(select(kb_categories).order_by(kb_categories.c.name, kb_categories.c.id)).mappings()
        return [Category(row["id"], row["name"], row["parent_id"]) for row in rows]

    def get(self, category_id: str) -> Category | None:
        row = self.session.execute(select(kb_categories).where(kb_categories.c.id == category_id)).mappings().first()
        return Category(row["id"], row["name"], row["parent_id"]) if row else None

    def add(self, category: Category, now: datetime) -> None:
        self.session.execute(insert(kb_categories).values(id=category.id, name=category.name,
                                                          parent_id=category.parent_id, created_at=now))

    def save(self, category: Category) -> None:
        self.session.execute(update(kb_categories).where(kb_categories.c.id == category.id)
                             .values(name=category.name, parent_id=category.parent_id))

    def sibling_named(self, name: str, parent_id: str | None, other_than: str | None = None) -> bool:
        parent = kb_categories.c.parent_id.is_(None) if parent_id is None else kb_categories.c.parent_id == parent_id
        query = select(kb_categories.c.id).where(func.lower(kb_categories.c.name) == name.lower(), parent)
        if other_than:
            query = query.where(kb_categories.c.id != other_than)
        return self.session.execute(query.limit(1)).first() is not None

    def in_use(self, category_id: str) -> bool:
        children = exists().where(kb_categories.c.parent_id == category_id)
        articles = exists().where(kb_articles.c.category_id == category_id)
        return bool(self.session.execute(select(or_(children, articles))).scalar())

    def remove(self, category_id: str) -> None:
        self.session.execute(delete(kb_categories).where(kb_categories.c.id == category_id))


@dataclass(frozen=True)
class ArticleListQuery:
    status: str | None = None
    category_id: str | None = None
    tag: str | None = None
    limit: int = 50
    offset: int = 0


class Articles:
    """Articles with all their versions; saving names the version read, so a concurrent writer gets 412."""

    def __init__(self, session: Session):
        self.session = session
        self._loaded: dict[str, set[int]] = {}

    def get(self, article_id: str) -> Article | None:
        found = self.get_many([article_id])
        return found[0] if found else None

    def get_many(self, article_ids: list[str]) -> list[Article]:
        """The articles in the order of `article_ids` (missing ones left out)."""
        if not article_ids:
            return []
        rows = {row["id"]: row for row in self.session.execute(
            select(kb_articles).where(kb_articles.c.id.in_(article_ids))).mappings()}
        versions: dict[str, list[ArticleVersion]] = {}
        for row in self.session.execute(select(kb_article_versions).where(
                kb_article_versions.c.article_id.in_(list(rows))).order_by(kb_article_versions.c.number)).mappings():
            versions.setdefault(row["article_id"], []).append(ArticleVersion(
                number=row["number"], title=row["title"], body=row["body"], tags=tuple(row["tags"]),
                visibility=row["visibility"], state=row["state"], created_by=row["created_by"],
                created_at=row["created_at"], published_by=row["published_by"], published_at=row["published_at"]))
        articles = []
        for article_id in article_ids:
            row = rows.get(article_id)
            if row is None:
                continue
            article = Article(id=row["id"], category_id=row["category_id"], created_by=row["created_by"],
                              created_at=row["created_at"], updated_at=row["updated_at"],
                              versions=versions.get(article_id, []), source_solution_id=row["source_solution_id"],
                              version=row["version"])
            self._loaded[article.id] = {v.number for v in article.versions}
            articles.append(article)
        return articles

    def add(self, article: Article) -> None:
        self.session.execute(insert(kb_articles).values(id=article.id, created_by=article.created_by,
                                                        created_at=article.created_at, version=article.version,
                                                        source_solution_id=article.source_solution_id,
                                                        **self._row(article)))
        self._loaded[article.id] = set()
        self._save_versions(article)

    def save(self, article: Article) -> None:
        """Write the article's changes if it is still at the version it was loaded at; 412 otherwise."""
        result = self.session.execute(
            update(kb_articles).where(kb_articles.c.id == article.id, kb_articles.c.version == article.version)
            .values(version=article.version + 1, **self._row(article)))
        if result.rowcount != 1:
            raise VersionMismatch("article")
        article.version += 1
        self._save_versions(article)

    def _save_versions(self, article: Article) -> None:
        known = self._loaded[article.id]
        for version in article.versions:
            values = {name: getattr(version, name) for name in (
                "title", "body", "visibility", "state", "created_by", "created_at", "published_by", "published_at")}
            values["tags"] = list(version.tags)
            if version.number in known:
                # History is only ever appended to; rewriting the rows of a loaded article touches drafts and states.
                self.session.execute(update(kb_article_versions).where(
                    kb_article_versions.c.article_id == article.id, kb_article_versions.c.number == version.number)
                    .values(**values))
            else:
                self.session.execute(insert(kb_article_versions).values(article_id=article.id, number=version.number,
                                                                        **values))
        self._loaded[article.id] = {v.number for v in article.versions}

    @staticmethod
    def _row(article: Article) -> dict:
        shown = article.shown
        current = article.current
        searchable = indexed(current.title, current.body, current.tags) if current else None
        return {
            "category_id": article.category_id,
            "status": article.status,
            "title": shown.title,
            "visibility": shown.visibility,
            "tags_text": TAG_SEPARATOR + "".join(tag + TAG_SEPARATOR for tag in shown.tags),
            "published_version": current.number if current else None,
            "published_at": current.published_at if current else None,
            "search_title": searchable.title if searchable else "",
            "search_text": searchable.text if searchable else "",
            "search_grams": searchable.grams if searchable else "",
            "updated_at": article.updated_at,
        }

    def list(self, query: ArticleListQuery) -> tuple[list[Article], int]:
        conditions = _filters(query.status, query.category_id, query.tag)
        total = self.session.execute(select(func.count()).select_from(kb_articles).where(*conditions)).scalar_one()
        ids = list(self.session.scalars(select(kb_articles.c.id).where(*conditions)
                                        .order_by(kb_articles.c.updated_at.desc(), kb_articles.c.id)
                                        .limit(query.limit).offset(query.offset)))
        return self.get_many(ids), total


def _filters(status: str | None, category_id: str | None, tag: str | None) -> list:
    conditions = []
    if status:
        conditions.append(kb_articles.c.status == status)
    if category_id:
        conditions.append(kb_articles.c.category_id == category_id)
    if tag:
        conditions.append(kb_articles.c.tags_text.contains(TAG_SEPARATOR + tag + TAG_SEPARATOR, autoescape=True))
    return conditions


@dataclass(frozen=True)
class ArticleSearchQuery:
    terms: Terms
    visibilities: tuple[str, ...]
    category_id: str | None = None
    tag: str | None = None


class ArticleSearch:
    """Published articles matching any term of a query, with their relevance and votes (ranked in kb_search)."""

    def __init__(self, session: Session):
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def candidates(self, query: ArticleSearchQuery) -> tuple[list[Candidate], int]:
        """The CANDIDATES most relevant matches, and how many match in all."""
        terms = query.terms.all
        conditions = [kb_articles.c.status == PUBLISHED, kb_articles.c.visibility.in_(query.visibilities),
                      *_filters(None, query.category_id, query.tag), self.matches(query.terms)]
        # A term in the title or tags weighs TITLE_WEIGHT, one in the body only 1; relevance is the share of the most.
        weight = sum((case((kb_articles.c.search_title.contains(term, autoescape=True), TITLE_WEIGHT),
                           (kb_articles.c.search_text.contains(term, autoescape=True), 1), else_=0)
                      for term in terms), literal(0))
        relevance = (weight / float(TITLE_WEIGHT * len(terms))).label("relevance")
        total = self.session.execute(select(func.count()).select_from(kb_articles).where(*conditions)).scalar_one()
        rows = self.session.execute(
            select(kb_articles.c.id, relevance, kb_articles.c.published_at).where(*conditions)
            .order_by(relevance.desc(), kb_articles.c.published_at.desc(), kb_articles.c.id).limit(CANDIDATES)).all()
        votes = self.votes([row.id for row in rows])
        return [Candidate(row.id, float(row.relevance), *votes.get(row.id, (0, 0)), row.published_at)
                for row in rows], total

    def matches(self, terms: Terms):
        """Any of the terms is in the published text: on PostgreSQL through the trigram and pair indexes."""
        matches = [kb_articles.c.search_text.contains(word, autoescape=True) for word in terms.words]
        if terms.pairs and self._postgres:
            # Written as the expression index is, so the planner uses it: any of the query's pairs.
            grams = func.string_to_array(kb_articles.c.search_grams, " ")
            matches.append(grams.op("&&")(cast(postgresql.array(list(terms.pairs)), postgresql.ARRAY(Text))))
        else:
            matches.extend(kb_articles.c.search_text.contains(pair, autoescape=True) for pair in terms.pairs)
        return or_(*matches)

    def votes(self, article_ids: list[str]) -> dict[str, tuple[int, int]]:
        """(helped, not helped) per article."""
        if not article_ids:
            return {}
        v = kb_article_votes
        rows = self.session.execute(
            select(v.c.article_id, func.sum(case((v.c.helped, 1), else_=0)), func.sum(case((v.c.helped, 0), else_=1)))
            .where(v.c.article_id.in_(article_ids)).group_by(v.c.article_id))
        return {article_id: (int(helped), int(not_helped)) for article_id, helped, not_helped in rows}


class Votes:
    def __init__(self, session: Session):
        self.session = session

    def cast(self, article_id: str, ticket_id: str, agent_id: str, helped: bool, now: datetime) -> None:
        """Record the agent's mark for the article on this ticket, replacing an earlier one."""
        statement = dialect_insert(self.session)(kb_article_votes).values(article_id=article_id, ticket_id=ticket_id, agent_id=agent_id,
                                                   helped=helped, voted_at=now)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=["article_id", "ticket_id", "agent_id"],
            set_={"helped": statement.excluded.helped, "voted_at": statement.excluded.voted_at}))

    def of_agent_on_ticket(self, ticket_id: str, agent_id: str) -> dict[str, bool]:
        v = kb_article_votes
        rows = self.session.execute(select(v.c.article_id, v.c.helped).where(v.c.ticket_id == ticket_id,
                                                                             v.c.agent_id == agent_id))
        return {article_id: bool(helped) for article_id, helped in rows}


class Solutions:
    def __init__(self, session: Session):
        self.session = session

    def add(self, solution: Solution) -> None:
        self.session.execute(insert(ticket_solutions).values(
            id=solution.id, ticket_id=solution.ticket_id, summary=solution.summary, steps=list(solution.steps),
            created_by=solution.created_by, created_at=solution.created_at, article_id=solution.article_id))

    def get(self, solution_id: str) -> Solution | None:
        row = self.session.execute(
            select(ticket_solutions).where(ticket_solutions.c.id == solution_id)).mappings().first()
        return _solution(row) if row else None

    def of_ticket(self, ticket_id: str) -> list[Solution]:
        rows = self.session.execute(select(ticket_solutions).where(ticket_solutions.c.ticket_id == ticket_id)
                                    .order_by(ticket_solutions.c.created_at, ticket_solutions.c.id)).mappings()
        return [_solution(row) for row in rows]

    def link_article(self, solution_id: str, article_id: str) -> bool:
        """Name the promoted article, unless another promotion got there first (False)."""
        result = self.session.execute(update(ticket_solutions).where(
            and_(ticket_solutions.c.id == solution_id, ticket_solutions.c.article_id.is_(None)))
            .values(article_id=article_id))
        return result.rowcount == 1


def _solution(row) -> Solution:
    return Solution(id=row["id"], ticket_id=row["ticket_id"], summary=row["summary"], steps=tuple(row["steps"]),
                    created_by=row["created_by"], created_at=row["created_at"], article_id=row["article_id"])
