"""Request and response schemas of SLA calendars, policies and a ticket's SLA; unknown fields are refused."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from service_desk.business_time import WEEKDAYS, format_clock, parse_clock
from service_desk.domain import PRIORITIES, STATUSES
from service_desk.sla import (
    DEFAULT_PAUSE_STATUSES,
    DEFAULT_WARNING_PERCENT,
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    RESOLUTION,
    STOP_STATUSES,
)

NAME = validate.Length(min=1, max=100)
# A year of targets is far beyond any service promise; it keeps the arithmetic's search bounded.
TARGET = validate.Range(min=1, max=525_600)
TARGET_FIELDS = {FIRST_RESPONSE: "first_response_minutes", NEXT_RESPONSE: "next_response_minutes",
                 RESOLUTION: "resolution_minutes"}
MAX_DATES = 400


class WeeklyHoursField(fields.Field):
    """{"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ...}: sorted, non-overlapping intervals per weekday."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Weekly hours map weekdays (mon..sun) to lists of [start, end] times.")
        hours = {}
        for day, intervals in value.items():
            if day not in WEEKDAYS:
                raise ValidationError(f"{day!r} is not a weekday; use {', '.join(WEEKDAYS)}.")
            if not isinstance(intervals, list) or len(intervals) > 12:
                raise ValidationError(f"{day}: a list of at most 12 [start, end] intervals.")
            previous_end, parsed = 0, []
            for interval in intervals:
                if not (isinstance(interval, list) and len(interval) == 2 and all(isinstance(t, str) for t in interval)):
                    raise ValidationError(f"{day}: each interval is [\"HH:MM\", \"HH:MM\"].")
                try:
                    start, end = parse_clock(interval[0]), parse_clock(interval[1])
                except ValueError as error:
                    raise ValidationError(f"{day}: {error}") from error
                if not start < end or start < previous_end:
                    raise ValidationError(f"{day}: intervals must end after they start, in order, without overlapping.")
                previous_end = end
                parsed.append((format_clock(start), format_clock(end)))
            hours[day] = parsed
        return hours

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return {day: [list(interval) for interval in value.get(day, [])] for day in WEEKDAYS}


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError("Not a known IANA time zone, such as Asia/Shanghai.") from error


class CalendarInputSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    timezone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    weekly_hours = WeeklyHoursField(required=True)
    holidays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=MAX_DATES))
    extra_working_days = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=MAX_DATES))

    @validates("timezone")
    def _known_zone(self, value, **_):
        _check_zone(value)

    @post_load
    def as_fields(self, data, **_):
        for key in ("holidays", "extra_working_days"):
            if key in data:
                data[key] = tuple(sorted(set(data[key])))
        return data


class CalendarSchema(Schema):
    id = fields.String()
    name = fields.String()
    timezone = fields.String()
    weekly_hours = WeeklyHoursField()
    holidays = fields.List(fields.Date())
    extra_working_days = fields.List(fields.Date())
    version = fields.Integer()


class CalendarPageSchema(Schema):
    items = fields.List(fields.Nested(CalendarSchema))
    total = fields.Integer()


class ConditionsSchema(Schema):
    priorities = fields.List(fields.String(validate=validate.OneOf(PRIORITIES)), load_default=list)
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=50)), load_default=list,
                             validate=validate.Length(max=100))
    customer_levels = fields.List(fields.String(validate=validate.Length(min=1, max=50)), load_default=list,
                                  validate=validate.Length(max=100))


class TargetsSchema(Schema):
    first_response_minutes = fields.Integer(allow_none=True, validate=TARGET)
    next_response_minutes = fields.Integer(allow_none=True, validate=TARGET)
    resolution_minutes = fields.Integer(allow_none=True, validate=TARGET)


# Resolved and closed stop the clock already; pausing in them would mean nothing.
PAUSABLE = [status for status in STATUSES if status not in STOP_STATUSES]


class PolicyInputSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    position = fields.Integer(load_default=100, validate=validate.Range(min=0, max=100_000))
    active = fields.Boolean(load_default=True)
    conditions = fields.Nested(ConditionsSchema, load_default=dict)
    calendar_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36),
                                metadata={"description": "null: around the clock"})
    targets = fields.Nested(TargetsSchema, required=True)
    pause_statuses = fields.List(fields.String(validate=validate.OneOf(PAUSABLE)),
                                 load_default=lambda: list(DEFAULT_PAUSE_STATUSES))
    warning_percent = fields.Integer(load_default=DEFAULT_WARNING_PERCENT, validate=validate.Range(min=1, max=99))

    @post_load
    def as_fields(self, data, **_):
        conditions = data.pop("conditions", None)
        if conditions is not None:
            for key in ("priorities", "categories", "customer_levels"):
                data[key] = tuple(dict.fromkeys(conditions.get(key, ())))
        if "targets" in data:
            data["targets"] = {metric: data["targets"][column] for metric, column in TARGET_FIELDS.items()
                               if column in data["targets"]}
        if "pause_statuses" in data:
            data["pause_statuses"] = tuple(dict.fromkeys(data["pause_statuses"]))
        return data


class PolicySchema(Schema):
    id = fields.String()
    name = fields.String()
    position = fields.Integer()
    active = fields.Boolean()
    conditions = fields.Method("_conditions")
    calendar_id = fields.String(allow_none=True)
    targets = fields.Method("_targets")
    pause_statuses = fields.List(fields.String())
    warning_percent = fields.Integer()
    version = fields.Integer()

    def _conditions(self, policy):
        return {"priorities": list(policy.priorities), "categories": list(policy.categories),
                "customer_levels": list(policy.customer_levels)}

    def _targets(self, policy):
        return {column: policy.targets.get(metric) for metric, column in TARGET_FIELDS.items()}


class PolicyPageSchema(Schema):
    items = fields.List(fields.Nested(PolicySchema))
    total = fields.Integer()


class MetricSlaSchema(Schema):
    policy_id = fields.String()
    policy_name = fields.String()
    cycle = fields.Integer()
    target_minutes = fields.Integer()
    started_at = fields.DateTime()
    deadline = fields.DateTime(allow_none=True, metadata={"description": "null while paused"})
    warning_at = fields.DateTime(allow_none=True)
    elapsed_minutes = fields.Integer(metadata={"description": "business minutes the clock has run"})
    remaining_minutes = fields.Integer(metadata={"description": "negative once breached"})
    share = fields.Float(metadata={"description": "elapsed / target"})
    state = fields.String(metadata={"description": "running, paused, warning, met or breached"})
    met_at = fields.DateTime(allow_none=True)
    breached_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class TicketSlaSchema(Schema):
    computed_at = fields.DateTime()
    state = fields.String(allow_none=True, metadata={"description": "the worst state of the metrics"})
    next_deadline = fields.DateTime(allow_none=True)
    first_response = fields.Method("_first_response")
    next_response = fields.Method("_next_response")
    resolution = fields.Method("_resolution")

    def _metric(self, sla, metric):
        measured = sla.metrics.get(metric)
        return None if measured is None else MetricSlaSchema().dump(measured)

    def _first_response(self, sla):
        return self._metric(sla, FIRST_RESPONSE)

    def _next_response(self, sla):
        return self._metric(sla, NEXT_RESPONSE)

    def _resolution(self, sla):
        return self._metric(sla, RESOLUTION)


class CalendarEditSchema(CalendarInputSchema):
    """Any of the calendar's fields (use with partial=True)."""


class PolicyEditSchema(PolicyInputSchema):
    """Any of the policy's fields (use with partial=True); `conditions` is replaced whole, `targets` per key."""
