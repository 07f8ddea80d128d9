"""Optimistic concurrency over HTTP: a versioned resource is read with an ETag and written with If-Match.

The version is the row's version column (SQLAlchemy `version_id_col`), so the check made here against
what the request saw is repeated by the database itself: the UPDATE names the version it read, and a
writer that lost the race updates no row (StaleDataError), which `stale_write_refused` turns into 412.
"""
from __future__ import annotations

import contextlib
import re
from typing import Iterator

from flask import request
from sqlalchemy.orm.exc import StaleDataError

from crm_shared.errors import APIError

# Strong, so that If-Match (which compares strongly, RFC 9110 13.1.1) can match it; a weak form sent back
# by a client or a cache is accepted too, since the value is the same version number.
_ENTITY_TAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


class PreconditionRequired(APIError):
    def __init__(self, what: str):
        super().__init__(
            428, "precondition_required",
            f"Send the {what}'s ETag in an If-Match header (read it first), so a change made meanwhile is not overwritten.",
        )


class VersionMismatch(APIError):
    def __init__(self, what: str, current_version: int | None = None):
        errors = {"current_version": current_version} if current_version is not None else None
        super().__init__(
            412, "version_mismatch",
            f"The {what} was changed by someone else since you read it; reload it and apply your change again.",
            errors,
        )


def etag(version: int) -> str:
    """The ETag header value of a resource at `version`."""
    return f'"{int(version)}"'


def etag_header(version: int) -> dict[str, str]:
    """Response headers carrying the ETag; return them with the body from a view."""
    return {"ETag": etag(version)}


def parse_if_match(value: str | None) -> int | None:
    """The version an If-Match header names; None when absent. A list, `*` or garbage is refused (400)."""
    if value is None or not value.strip():
        return None
    match = _ENTITY_TAG.match(value.strip())
    if match is None:
        raise APIError(
            400, "malformed_precondition",
            f'If-Match must be one ETag as the resource sent it, such as "3", not {value!r}.',
        )
    return int(match.group(1))


def required_version(what: str) -> int:
    """The version the caller read, from If-Match; 428 without it."""
    version = parse_if_match(request.headers.get("If-Match"))
    if version is None:
        raise PreconditionRequired(what)
    return version


def optional_version() -> int | None:
    """The version named by If-Match if the caller sent one (for actions that accept, but do not need, it)."""
    return parse_if_match(request.headers.get("If-Match"))


def check_version(what: str, expected: int | None, current: int) -> None:
    """412 if the caller read another version than the one just loaded; nothing to check when expected is None."""
    if expected is not None and expected != current:
        raise VersionMismatch(what, current)


@contextlib.contextmanager
def stale_write_refused(what: str) -> Iterator[None]:
    """Turn the database's refusal of a stale UPDATE (another writer committed first) into 412."""
    try:
        yield
    except StaleDataError as error:
        raise VersionMismatch(what) from error
