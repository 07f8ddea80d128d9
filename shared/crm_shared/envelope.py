"""The event envelope: what every message on the bus looks like, and its checks."""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from crm_shared import context

EVENT_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*\.v[1-9][0-9]*$")
CONTENT_TYPE = "application/json"
FIELDS = frozenset({"id", "name", "occurred_at", "producer", "correlation_id", "causation_id", "actor", "payload"})
# The form every producer writes (str(uuid4())); checked first because a consumer reads thousands a second.
CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class InvalidEnvelope(ValueError):
    """A message body that is not a valid event envelope."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("time has no zone")
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class Envelope:
    """One event: a past-tense fact named `<service>.<aggregate>.<verb>.v<major>`."""

    id: str
    name: str
    occurred_at: str
    producer: str
    correlation_id: str
    causation_id: str | None
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        name: str,
        payload: dict[str, Any],
        *,
        producer: str,
        actor: str | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> "Envelope":
        """A new event; actor and correlation default to the current request or message."""
        if not EVENT_NAME.match(name):
            raise ValueError(f"event name {name!r} is not <service>.<aggregate>.<verb>.v<major>")
        ctx = context.current()
        event_id = str(uuid.uuid4())
        return cls(
            id=event_id,
            name=name,
            occurred_at=format_time(occurred_at or utc_now()),
            producer=producer,
            correlation_id=correlation_id or ctx.correlation_id or event_id,
            causation_id=causation_id if causation_id is not None else ctx.causation_id,
            actor=actor or ctx.actor,
            payload=payload,
        )

    @cached_property
    def occurred(self) -> datetime:
        # Cached: projections read it several times an event (kept in the instance's __dict__, which a
        # frozen dataclass leaves writable; not a field, so to_dict and equality do not see it).
        return parse_time(self.occurred_at)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False, default=str)

    def amqp_properties(self) -> dict[str, Any]:
        """The envelope's facts that AMQP has properties for, so brokers and tools can see them."""
        return {
            "message_id": self.id,
            "type": self.name,
            "content_type": CONTENT_TYPE,
            "content_encoding": "utf-8",
            "correlation_id": self.correlation_id,
            "timestamp": int(self.occurred.timestamp()),
            "delivery_mode": 2,
        }

    def caused_context(self) -> context.MessageContext:
        """The context for work done because of this event: same correlation, caused by it."""
        return context.MessageContext(
            actor=context.SYSTEM_ACTOR, correlation_id=self.correlation_id, causation_id=self.id
        )

    @classmethod
    def from_dict(cls, data: Any) -> "Envelope":
        if not isinstance(data, dict):
            raise InvalidEnvelope("an envelope is a JSON object")
        if data.keys() != FIELDS:
            missing = FIELDS - data.keys()
            if missing:
                raise InvalidEnvelope(f"missing fields: {', '.join(sorted(missing))}")
            raise InvalidEnvelope(f"unknown fields: {', '.join(sorted(data.keys() - FIELDS))}")
        if not (isinstance(data["id"], str) and CANONICAL_UUID.fullmatch(data["id"])):
            try:
                uuid.UUID(str(data["id"]))
            except ValueError as error:
                raise InvalidEnvelope("id is not a UUID") from error
        if not isinstance(data["name"], str) or not EVENT_NAME.match(data["name"]):
            raise InvalidEnvelope(f"name {data['name']!r} is not <service>.<aggregate>.<verb>.v<major>")
        try:
            parse_time(str(data["occurred_at"]))
        except ValueError as error:
            raise InvalidEnvelope("occurred_at is not an ISO 8601 time with a zone") from error
        for key in ("producer", "correlation_id", "actor"):
            if not isinstance(data[key], str) or not data[key]:
                raise InvalidEnvelope(f"{key} must be a non-empty string")
        if data["causation_id"] is not None and not isinstance(data["causation_id"], str):
            raise InvalidEnvelope("causation_id must be a string or null")
        if not isinstance(data["payload"], dict):
            raise InvalidEnvelope("payload must be a JSON object")
        return cls(**data)

    @classmethod
    def from_json(cls, body: str | bytes) -> "Envelope":
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidEnvelope(f"not JSON: {error}") from error
        return cls.from_dict(data)
