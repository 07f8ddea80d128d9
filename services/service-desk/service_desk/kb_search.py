"""How knowledge-base articles are found: the indexed text, how a query becomes terms, and how hits are ranked.

The approach is the leads search's (services/leads/leads/search.py), re-implemented here because a
service imports no other service's package: text is NFKC-normalised and case-folded, so full-width
letters and upper case match; Chinese has no spaces, so it is matched by its character pairs (two
characters are already a word: 打印, 发票), which PostgreSQL finds through a GIN index over the list of
an article's pairs; Latin words of three or more letters are matched as substrings, which the
`pg_trgm` GIN index serves, with no stemming (``invoice`` finds ``invoices``, ``invoices`` does not find
``invoice``). SQLite, the small embedded default, runs the same LIKE comparisons without an index.

A query of many words (a ticket's subject and description, for suggestions) matches an article that
contains any of its terms; relevance is the share of the query's terms the article contains, a term in
the title or tags counting TITLE_WEIGHT times one in the body only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

FIELD_SEPARATOR = "\x1e"
SHORTEST_WORD = 3
LONGEST_QUERY = 2_000
# A ticket's description can be long; its first terms say what it is about, and each term is one LIKE.
MOST_TERMS = 40
TITLE_WEIGHT = 3
# How much helpfulness moves an article: a net share of "helped" votes of 1 multiplies relevance by 1.5.
HELPFUL_WEIGHT = 0.5
# Recency breaks near-ties: at most this much is added to a relevance of at most 1, halving every HALF_LIFE_DAYS.
RECENCY_WEIGHT = 0.05
HALF_LIFE_DAYS = 180

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")
_CJK_CLASS = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_WORD = re.compile(r"[^\W_]+")
# Words too common in a ticket's text to say what it is about.
_STOP_WORDS = frozenset(
    "the and for are but not you your with this that from have has had was were will would can could "
    "should does did our out all any its into when what which who why how there their then than them "
    "they been being also just about after before over under again please thanks thank hello".split()
)


def normalize(text: str | None) -> str:
    """What search compares: NFKC (full-width to half-width), case-folded, control characters as spaces."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _CONTROL.sub(" ", folded)).strip()


@dataclass(frozen=True)
class IndexedText:
    """The search columns of a published article version."""

    title: str
    text: str
    grams: str


def indexed(title: str, body: str, tags: list[str] | tuple[str, ...]) -> IndexedText:
    """Title and tags (weighed more) apart, everything together, and the distinct CJK character pairs."""
    heading = FIELD_SEPARATOR.join(normalize(value) for value in (title, *tags))
    everything = heading + FIELD_SEPARATOR + normalize(body)
    return IndexedText(title=heading, text=everything, grams=" ".join(sorted(_pairs(everything))))


def _pairs(text: str) -> set[str]:
    pairs = set()
    for run in _CJK_RUN.findall(text):
        pairs.update(run[index:index + 2] for index in range(len(run) - 1))
    return pairs


@dataclass(frozen=True)
class Terms:
    """The terms of a query: Latin words, and CJK character pairs (served by the pair index on PostgreSQL)."""

    words: tuple[str, ...]
    pairs: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.words + self.pairs

    def __bool__(self) -> bool:
        return bool(self.words or self.pairs)


def terms_of(query: str | None) -> Terms:
    """The searchable terms of what someone typed (or of a ticket's text), in order of appearance, at most MOST_TERMS.

    A single Chinese character, and Latin words of fewer than SHORTEST_WORD letters, match too much to
    say anything and are left out; so are common English words."""
    text = normalize(query)[:LONGEST_QUERY]
    words: list[str] = []
    pairs: list[str] = []
    for run in _CJK_RUN.findall(text):
        for index in range(len(run) - 1):
            pair = run[index:index + 2]
            if pair not in pairs:
                pairs.append(pair)
    for word in _WORD.findall(_CJK_RUN.sub(" ", text)):
        if len(word) >= SHORTEST_WORD and word not in _STOP_WORDS and word not in words:
            words.append(word)
    # Both kinds keep a share of the budget, so a long English description cannot crowd out its Chinese title.
    kept_words = words[:MOST_TERMS - min(len(pairs), MOST_TERMS // 2)]
    return Terms(tuple(kept_words), tuple(pairs[:MOST_TERMS - len(kept_words)]))


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@dataclass(frozen=True)
class Candidate:
    """An article that matched, with what ranking weighs: relevance in (0, 1], votes, when it was published."""

    article_id: str
    relevance: float
    helped: int
    not_helped: int
    published_at: datetime


def helpfulness(helped: int, not_helped: int) -> float:
    """The net share of "helped" votes, pulled towards 0 while there are few: in (-1, 1), 0 with no votes."""
    return (helped - not_helped) / (helped + not_helped + 2)


def score(candidate: Candidate, now: datetime) -> float:
    """Relevance, scaled by helpfulness, plus a small bonus for recent publication."""
    age_days = max((now - candidate.published_at).total_seconds(), 0) / 86_400
    recency = RECENCY_WEIGHT * 0.5 ** (age_days / HALF_LIFE_DAYS)
    return candidate.relevance * (1 + HELPFUL_WEIGHT * helpfulness(candidate.helped, candidate.not_helped)) + recency


def ranked(candidates: list[Candidate], now: datetime) -> list[tuple[Candidate, float]]:
    """Best first; equal scores by newer publication, then id, so pages are stable."""
    scored = [(candidate, score(candidate, now)) for candidate in candidates]
    return sorted(scored, key=lambda pair: (-pair[1], -pair[0].published_at.timestamp(), pair[0].article_id))


def excerpt(body: str, terms: Terms, width: int = 160) -> str:
    """Some text of the body around its first matched term (or its beginning), on one line."""
    flat = _SPACES.sub(" ", body).strip()
    folded = flat.casefold()
    positions = [position for position in (folded.find(term) for term in terms.all) if position >= 0]
    start = max(min(positions) - width // 4, 0) if positions else 0
    piece = flat[start:start + width]
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(flat) else "")
