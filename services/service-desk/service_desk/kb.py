"""Knowledge-base articles and their versions, categories, and the rules of drafting and publishing."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from crm_shared.errors import APIError

INTERNAL = "internal"
PUBLIC = "public"
VISIBILITIES = (INTERNAL, PUBLIC)

# An article's status: `draft` until a version of it is first published.
DRAFT = "draft"
PUBLISHED = "published"
ARTICLE_STATUSES = (DRAFT, PUBLISHED)
# A version's state: the open draft, the current published one, or one a later publication replaced.
SUPERSEDED = "superseded"

TITLE_MAX = 200
BODY_MAX = 50_000
TAG_MAX = 50
TAGS_MAX = 20
CATEGORY_NAME_MAX = 100
VERSIONED_FIELDS = ("title", "body", "tags", "visibility")


class NoDraft(APIError):
    def __init__(self):
        super().__init__(409, "no_draft", "This article has no draft to publish: edit it first.")


class ArticleNotPublished(APIError):
    def __init__(self):
        super().__init__(409, "article_not_published", "Only a published article can be marked as helpful or not.")


class CategoryCycle(APIError):
    def __init__(self):
        super().__init__(409, "category_cycle", "A category cannot be placed under itself or one of its subcategories.")


class CategoryInUse(APIError):
    def __init__(self):
        super().__init__(409, "category_in_use", "This category still has subcategories or articles: move them first.")


class CategoryNameTaken(APIError):
    def __init__(self):
        super().__init__(409, "category_name_taken", "A category with this name already exists at this place.")


def clean_tags(tags: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Distinct, trimmed tags in the order given."""
    kept: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in kept:
            kept.append(tag)
    if len(kept) > TAGS_MAX or any(len(tag) > TAG_MAX for tag in kept):
        raise ValueError(f"at most {TAGS_MAX} tags of at most {TAG_MAX} characters")
    return tuple(kept)


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    parent_id: str | None = None


def would_cycle(category_id: str, new_parent_id: str | None, parents: dict[str, str | None]) -> bool:
    """Whether putting `category_id` under `new_parent_id` makes it its own ancestor (`parents`: id -> parent)."""
    seen = set()
    current = new_parent_id
    while current is not None and current not in seen:
        if current == category_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


@dataclass
class ArticleVersion:
    """One text of an article: a draft being written, the published one, or an earlier published one."""

    number: int
    title: str
    body: str
    tags: tuple[str, ...]
    visibility: str
    state: str
    created_by: str
    created_at: datetime
    published_by: str | None = None
    published_at: datetime | None = None


@dataclass
class Article:
    """A knowledge-base article: readers see its current published version while the next one is drafted."""

    id: str
    category_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    versions: list[ArticleVersion] = field(default_factory=list)
    source_solution_id: str | None = None
    version: int = 1

    @classmethod
    def write(cls, *, title: str, body: str, tags, visibility: str, category_id: str | None, author: str,
              now: datetime, source_solution_id: str | None = None) -> "Article":
        """A new article whose first version is a draft."""
        article = cls(id=str(uuid.uuid4()), category_id=category_id, created_by=author, created_at=now,
                      updated_at=now, source_solution_id=source_solution_id)
        draft = ArticleVersion(number=1, title=title, body=body, tags=clean_tags(tags), visibility=visibility,
                               state=DRAFT, created_by=author, created_at=now)
        _check(draft)
        article.versions.append(draft)
        return article

    @property
    def draft(self) -> ArticleVersion | None:
        return next((v for v in self.versions if v.state == DRAFT), None)

    @property
    def current(self) -> ArticleVersion | None:
        """The published version readers see, if any."""
        return next((v for v in self.versions if v.state == PUBLISHED), None)

    @property
    def status(self) -> str:
        return PUBLISHED if self.current is not None else DRAFT

    @property
    def shown(self) -> ArticleVersion:
        """What an article is known by: its published version, or its draft while never published."""
        return self.current or self.draft or self.versions[-1]

    def edit(self, changes: dict, editor: str, now: datetime) -> None:
        """Change the open draft; with none, start one from the published version, which stays current."""
        if "category_id" in changes:
            self.category_id = changes["category_id"]
        versioned = {name: changes[name] for name in VERSIONED_FIELDS if name in changes}
        if "tags" in versioned:
            versioned["tags"] = clean_tags(versioned["tags"])
        if versioned:
            draft = self.draft
            if draft is None:
                base = self.current or self.versions[-1]
                draft = replace(base, number=max(v.number for v in self.versions) + 1, state=DRAFT, created_by=editor,
                                created_at=now, published_by=None, published_at=None)
                self.versions.append(draft)
            for name, value in versioned.items():
                setattr(draft, name, value)
            _check(draft)
        self.updated_at = now

    def publish(self, publisher: str, now: datetime) -> ArticleVersion:
        """Make the draft the current version; the one it replaces is kept in the history as superseded."""
        draft = self.draft
        if draft is None:
            raise NoDraft()
        if self.current is not None:
            self.current.state = SUPERSEDED
        draft.state = PUBLISHED
        draft.published_by = publisher
        draft.published_at = now
        self.updated_at = now
        return draft


def _check(version: ArticleVersion) -> None:
    if not version.title.strip() or len(version.title) > TITLE_MAX:
        raise ValueError(f"a title has 1 to {TITLE_MAX} characters and is not blank")
    if len(version.body) > BODY_MAX:
        raise ValueError(f"a body has at most {BODY_MAX} characters")
    if version.visibility not in VISIBILITIES:
        raise ValueError(f"visibility is one of {', '.join(VISIBILITIES)}")
