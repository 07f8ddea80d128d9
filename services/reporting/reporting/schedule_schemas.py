"""Request and response shapes of scheduled reports, their runs and their files."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from reporting.schedules import FORMATS, FREQUENCIES, WEEKDAYS

IDS = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list, validate=validate.Length(max=200))


class ScheduleInputSchema(Schema):
    report_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    frequency = fields.String(required=True, validate=validate.OneOf(FREQUENCIES))
    time_of_day = fields.String(allow_none=True, metadata={"description": "HH:MM in time_zone (daily, weekly, monthly)"})
    weekday = fields.String(allow_none=True, validate=validate.OneOf(WEEKDAYS), metadata={"description": "weekly"})
    day_of_month = fields.Integer(allow_none=True, strict=True, metadata={"description": "monthly: 1-28"})
    cron = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={"description": "five fields; at most every 15 minutes"})
    time_zone = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={"description": "default: the reporting time zone"})
    formats = fields.List(fields.String(validate=validate.OneOf(FORMATS)), required=True, validate=validate.Length(min=1, max=4))
    recipient_user_ids = IDS
    recipient_team_ids = IDS
    parameters = fields.Dict(load_default=dict, metadata={"description": "values of the report's run-time filters"})
    active = fields.Boolean(load_default=True)


class ScheduleSchema(Schema):
    schedule_id = fields.String()
    report_id = fields.String()
    report_name = fields.String(allow_none=True, metadata={"description": "none once the report is deleted"})
    owner_id = fields.String()
    frequency = fields.String()
    time_of_day = fields.String(allow_none=True)
    weekday = fields.String(allow_none=True)
    day_of_month = fields.Integer(allow_none=True)
    cron = fields.String(allow_none=True)
    time_zone = fields.String()
    formats = fields.List(fields.String())
    recipient_user_ids = fields.List(fields.String())
    recipient_team_ids = fields.List(fields.String())
    parameters = fields.Dict()
    active = fields.Boolean()
    inactive_reason = fields.String(allow_none=True)
    next_run_at = fields.DateTime(allow_none=True)
    last_run_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class ScheduleListSchema(Schema):
    items = fields.List(fields.Nested(ScheduleSchema))


class ScheduleListArgsSchema(Schema):
    report_id = fields.String(validate=validate.Length(min=1, max=36))


class RunSchema(Schema):
    run_id = fields.String()
    schedule_id = fields.String()
    report_id = fields.String()
    trigger = fields.String(metadata={"description": "schedule or manual"})
    due_at = fields.DateTime(allow_none=True)
    ran_at = fields.DateTime()
    outcome = fields.String(metadata={"description": "delivered, nobody, report_deleted or failed"})
    delivered_to = fields.List(fields.String())
    skipped = fields.List(fields.Dict(), metadata={"description": "recipient_id or team_id, and the reason"})


class RunListSchema(Schema):
    items = fields.List(fields.Nested(RunSchema))


class ReportFileSchema(Schema):
    file_id = fields.String()
    schedule_id = fields.String()
    run_id = fields.String()
    report_id = fields.String()
    recipient_id = fields.String()
    format = fields.String()
    filename = fields.String()
    media_type = fields.String()
    byte_size = fields.Integer()
    row_count = fields.Integer()
    capped = fields.Boolean(metadata={"description": "the export stopped at the row cap"})
    created_at = fields.DateTime()
    url = fields.String()


class ReportFileListSchema(Schema):
    items = fields.List(fields.Nested(ReportFileSchema))


class ReportFileArgsSchema(Schema):
    schedule_id = fields.String(validate=validate.Length(min=1, max=36))
    run_id = fields.String(validate=validate.Length(min=1, max=36))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
