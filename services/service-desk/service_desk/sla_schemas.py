"""Request and response schemas of SLA calendars, policies and a ticket's SLA; unknown fields are refused."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from service_desk.business_time import WEEKDAYS, format_clock, parse_clock
from service_desk.domain import PRIORITIES, STATUSES
from service_desk.sla import (
    BREACH_AT,
    DEFAULT_PAUSE_STATUSES,
    DEFAULT_WARNING_PERCENT,
    ESCALATION_ACTIONS,
    ESCALATION_TARGETS,
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    REASSIGN_TO_GROUP,
    RESOLUTION,
    STOP_STATUSES,
    EscalationLevel,
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


# Up to ten times the target: a level far past the breach is still a level someone may want.
MAX_ESCALATION_PERCENT = 1000
MAX_ESCALATION_LEVELS = 10


class EscalationAtField(fields.Field):
    """A whole percentage of the target's time (1 to 1000), or "breach"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == BREACH_AT:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ESCALATION_PERCENT:
            raise ValidationError(f'A whole percentage of the target from 1 to {MAX_ESCALATION_PERCENT}, or "breach".')
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def _check_action(action: str) -> None:
    if action in ESCALATION_ACTIONS:
        return
    group_id = action.removeprefix(REASSIGN_TO_GROUP) if action.startswith(REASSIGN_TO_GROUP) else ""
    if not 1 <= len(group_id) <= 36:
        raise ValidationError(f"{action!r} is not an action; use {', '.join(ESCALATION_ACTIONS)} or "
                              f"{REASSIGN_TO_GROUP}<group id>.")


class EscalationLevelSchema(Schema):
    at = EscalationAtField(required=True, metadata={"description": 'a percentage of the target, or "breach"'})
    target = fields.String(required=True, validate=validate.OneOf(ESCALATION_TARGETS))
    actions = fields.List(fields.String(validate=_check_action), required=True, validate=validate.Length(min=1, max=6))

    @post_load
    def as_level(self, data, **_):
        return EscalationLevel(data["at"], data["target"], tuple(dict.fromkeys(data["actions"])))


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
    escalation_levels = fields.List(fields.Nested(EscalationLevelSchema), load_default=list,
                                    validate=validate.Length(max=MAX_ESCALATION_LEVELS), metadata={
                                        "description": "each fires once per ticket, target and cycle"})

    @validates_schema
    def _one_level_per_point(self, data, **_):
        seen = set()
        for index, level in enumerate(data.get("escalation_levels") or ()):
            if (level.target, level.key) in seen:
                raise ValidationError(f"Another level escalates the {level.target} target at {level.key} already.",
                                      f"escalation_levels.{index}.at")
            seen.add((level.target, level.key))

    @post_load
    def as_fields(self, data, **_):
        if "escalation_levels" in data:
            data["escalation_levels"] = tuple(data["escalation_levels"])
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
    escalation_levels = fields.Method("_escalation_levels")
    version = fields.Integer()

    def _escalation_levels(self, policy):
        return [level.as_dict() for level in policy.escalation_levels]

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
