"""Settings of the reporting service, read from the environment once."""
import os
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from crm_shared.settings import Settings

SERVICE = "reporting"
SERVICE_ROOT = Path(__file__).resolve().parent.parent


def load_settings() -> Settings:
    return Settings.from_env(SERVICE)


@cache
def reporting_time_zone() -> ZoneInfo:
    """The zone whose days make the dashboards' periods (`CRM_REPORTING_TIME_ZONE`, default Asia/Shanghai)."""
    return ZoneInfo(os.environ.get("CRM_REPORTING_TIME_ZONE", "Asia/Shanghai"))
