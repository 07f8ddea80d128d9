"""Who is acting and in which chain of messages: the facts every new event inherits."""
from __future__ import annotations

import contextlib
import contextvars
import uuid
from dataclasses import dataclass
from typing import Iterator

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class MessageContext:
    """The actor of the current request or message and the ids that link events to their cause."""

    actor: str = SYSTEM_ACTOR
    correlation_id: str | None = None
    causation_id: str | None = None


_current: contextvars.ContextVar[MessageContext] = contextvars.ContextVar(
    "crm_message_context", default=MessageContext()
)


def current() -> MessageContext:
    return _current.get()


@contextlib.contextmanager
def use(context: MessageContext) -> Iterator[MessageContext]:
    """Make `context` current for the duration of a request or of handling one message."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def enter(context: MessageContext) -> contextvars.Token:
    """Make `context` current until `leave` is called with the returned token (for request hooks)."""
    return _current.set(context)


def leave(token: contextvars.Token) -> None:
    _current.reset(token)


def new_correlation_id() -> str:
    return str(uuid.uuid4())
