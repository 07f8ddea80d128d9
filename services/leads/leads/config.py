"""Settings of the leads service, read from the environment once."""
import os
from datetime import datetime, time, timezone
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from crm_shared.settings import Settings

SERVICE = "leads"
SERVICE_ROOT = Path(__file__).resolve().parent.parent


def load_settings() -> Settings:
    return Settings.from_env(SERVICE)


@cache
def business_timezone() -> ZoneInfo:
    """Where the business day of the daily quotas begins and ends (`CRM_LEADS_TIMEZONE`, default Asia/Shanghai)."""
    return ZoneInfo(os.environ.get("CRM_LEADS_TIMEZONE", "Asia/Shanghai"))


def business_day(moment: datetime):
    """The business day `moment` falls on, and the UTC instant that day began."""
    local = moment.astimezone(business_timezone())
    start = datetime.combine(local.date(), time(0), tzinfo=business_timezone()).astimezone(timezone.utc)
    return local.date(), start


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


@cache
def pool_views_per_minute() -> int:
    """Lead lists, searches, exports and reveals one user may ask for a minute (`CRM_LEADS_POOL_VIEWS_PER_MINUTE`)."""
    return _positive_int("CRM_LEADS_POOL_VIEWS_PER_MINUTE", 300)


@cache
def claims_per_minute() -> int:
    """Claim requests one user may make a minute (`CRM_LEADS_CLAIMS_PER_MINUTE`); the daily quotas still apply."""
    return _positive_int("CRM_LEADS_CLAIMS_PER_MINUTE", 30)
