"""The knowledge-base events the service desk publishes: a ticket's solution recorded, an article version published."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from service_desk.config import EVENT_PREFIX
from service_desk.kb import Article
from service_desk.solutions import Solution

# How a resolved ticket was solved (reporting can count tickets solved with and without a known solution).
SOLUTION_RECORDED = f"{EVENT_PREFIX}.solution.recorded.v1"
# A version of an article became the current one readers see.
ARTICLE_PUBLISHED = f"{EVENT_PREFIX}.article.published.v1"


def solution_recorded(solution: Solution) -> Envelope:
    return Envelope.new(SOLUTION_RECORDED, {
        "solution_id": solution.id,
        "ticket_id": solution.ticket_id,
        "summary": solution.summary,
        "recorded_by": solution.created_by,
        "recorded_at": format_time(solution.created_at),
    }, producer=EVENT_PREFIX)


def article_published(article: Article) -> Envelope:
    current = article.current
    return Envelope.new(ARTICLE_PUBLISHED, {
        "article_id": article.id,
        "version_number": current.number,
        "title": current.title,
        "visibility": current.visibility,
        "category_id": article.category_id,
        "source_solution_id": article.source_solution_id,
        "published_by": current.published_by,
        "published_at": format_time(current.published_at),
    }, producer=EVENT_PREFIX)
