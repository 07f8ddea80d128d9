"""Free-text search over leads: what is indexed, how a query is read, the sorts and the opaque keyset cursor.

What is indexed: ``search_text`` holds company, contact name and notes, then (after a separator) the
digits of the phone and the e-mail, NFKC-normalised and case-folded, so a search for ``锦佳`` finds
``安徽锦佳信息技术有限公司`` and ``8000`` finds ``138-1234-8000``. The contact part sits behind its own
separator so that leads whose contacts a rep sees masked are not found by their phone or e-mail.

How PostgreSQL finds it, measured on 500,000 generated leads (half Chinese) on the 2-core machine:

=============================  ==========  ===============  ===============
query                          seq scan    pg_trgm LIKE     CJK bigram GIN
=============================  ==========  ===============  ===============
``锦佳`` (2 CJK characters)     71 ms       268 ms           1.1 ms
``锦佳信息`` (4 characters)      1.5 ms      0.7 ms           -
``8000`` (part of a phone)      2.0 ms      1.3 ms           -
=============================  ==========  ===============  ===============

A trigram index cannot serve a pattern of fewer than 3 characters (it scans the whole index and is
slower than no index), and two Chinese characters are a whole word. So queries of 3 or more characters
use ``LIKE`` over the ``pg_trgm`` GIN index on ``search_text``, and 2-character queries with a Chinese
character use a GIN index over ``string_to_array(search_grams, ' ')``, where ``search_grams`` lists the
character pairs of company, contact and notes that contain a CJK character (computed here, in Python:
an index over a SQL function that made every bigram tripled the insert time of an import). Anything
shorter (1 character, or 2 Latin letters or digits) matches too much to be worth a query and is refused.
SQLite (the small embedded default) uses the same ``LIKE`` without an index.
"""
from __future__ import annotations

import base64
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_shared.envelope import format_time, parse_time
from crm_shared.errors import APIError

FIELD_SEPARATOR = "\x1e"
CONTACT_SEPARATOR = "\x1f"
SHORTEST_QUERY = 3
SHORTEST_CJK_QUERY = 2
LONGEST_QUERY = 100

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D+")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]+$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")

# sort name -> (column, descending)
SORTS = {
    "-created_at": ("created_at", True),
    "created_at": ("created_at", False),
    "company": ("company", False),
    "-company": ("company", True),
}
DEFAULT_SORT = "-created_at"


def normalize(text: str | None) -> str:
    """What search compares: NFKC (full-width to half-width), case-folded, control characters as spaces."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _CONTROL.sub(" ", folded)).strip()


def phone_digits(phone: str | None) -> str:
    return _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", phone)) if phone else ""


def search_text(company: str | None, contact_name: str | None, phone: str | None, email: str | None,
                notes: str | None) -> str:
    """The indexed text of a lead: ``company␞contact␞notes␟phone digits␞email``."""
    return _text_of(_named(company, contact_name, notes), phone, email)


def search_grams(company: str | None, contact_name: str | None, notes: str | None) -> str:
    """The distinct character pairs with a CJK character in them, space-separated, for 2-character queries."""
    return _grams_of(_named(company, contact_name, notes))


def search_columns(company: str | None, contact_name: str | None, phone: str | None, email: str | None,
                   notes: str | None) -> tuple[str, str]:
    """`search_text` and `search_grams` together, each name normalised once (an import does every row)."""
    named = _named(company, contact_name, notes)
    return _text_of(named, phone, email), _grams_of(named)


def _named(company: str | None, contact_name: str | None, notes: str | None) -> list[str]:
    return [normalize(value) for value in (company, contact_name, notes) if value]


def _text_of(named: list[str], phone: str | None, email: str | None) -> str:
    contacts = FIELD_SEPARATOR.join(value for value in (phone_digits(phone), normalize(email)) if value)
    return FIELD_SEPARATOR.join(named) + CONTACT_SEPARATOR + contacts


def _grams_of(named: list[str]) -> str:
    grams = set()
    for text in named:
        if not _CJK.search(text):
            continue
        for first, second in zip(text, text[1:]):
            if first != " " and second != " " and (_is_cjk(first) or _is_cjk(second)):
                grams.add(first + second)
    return " ".join(sorted(grams))


def _is_cjk(character: str) -> bool:
    return "\u3400" <= character <= "\u9fff" or "\uf900" <= character <= "\ufaff" or "\U00020000" <= character <= "\U0002fa1f"


@dataclass(frozen=True)
class TextQuery:
    """A normalised free-text query; `pair` when it is two characters served by the bigram index."""

    text: str
    pair: bool = False


def read_query(q: str | None) -> TextQuery | None:
    """Read what a person typed; a phone-like query keeps only its digits. Too short: 422 `query_too_short`."""
    text = normalize(q)
    if not text:
        return None
    if _PHONE_LIKE.match(text) and len(phone_digits(text)) >= SHORTEST_QUERY:
        text = phone_digits(text)
    text = text[:LONGEST_QUERY]
    if len(text) >= SHORTEST_QUERY:
        return TextQuery(text)
    if len(text) == SHORTEST_CJK_QUERY and _CJK.search(text) and " " not in text:
        return TextQuery(text, pair=True)
    raise APIError(422, "query_too_short",
                   "Search for at least 3 letters or digits, or 2 Chinese characters.",
                   {"q": ["At least 3 characters, or 2 Chinese characters."]})


# --- the keyset cursor ------------------------------------------------------------------------------

def encode_cursor(sort: str, key: Any, lead_id: str) -> str:
    """An opaque cursor: the sort and the (key, id) of the last lead of a page."""
    value = format_time(key) if isinstance(key, datetime) else key
    raw = json.dumps([sort, value, lead_id], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    """The (key, id) a cursor continues after; 422 `invalid_cursor` if it is not one of ours or of another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, lead_id = json.loads(raw)
        if cursor_sort != sort or not isinstance(lead_id, str) or not isinstance(value, str):
            raise ValueError("another sort")
        column, _ = SORTS[sort]
        return (parse_time(value) if column == "created_at" else value), lead_id
    except (ValueError, TypeError, KeyError) as error:
        raise APIError(422, "invalid_cursor", "The cursor does not belong to this search; start from the first page.",
                       {"cursor": ["Not a cursor of this search and sort."]}) from error
