"""ISO weeks in a community's time zone: ``2025-W14`` <-> [Monday 00:00, next Monday 00:00)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def zone(name: str | None) -> ZoneInfo:
    """The named time zone; UTC for an empty or unknown name (a bad setting never stops a job)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_week(text: str) -> tuple[int, int]:
    """``"2025-W14"`` (or ``2025W14``) -> (2025, 14); ValueError for anything else."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week such as 2025-W14")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no week {week}") from None
    return year, week


def week_bounds(year: int, week: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 of that ISO week and of the next one, in ``tz`` (aware datetimes)."""
    monday = date.fromisocalendar(year, week, 1)
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return start, end


def week_label(moment: datetime, tz: ZoneInfo) -> str:
    """The ISO week ``moment`` falls in, in ``tz``: ``"2025-W14"``."""
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def previous_week(now: datetime, tz: ZoneInfo) -> tuple[str, datetime, datetime]:
    """The last complete ISO week before ``now`` in ``tz``: (label, start, end)."""
    year, week, _ = (now.astimezone(tz) - timedelta(days=7)).isocalendar()
    start, end = week_bounds(year, week, tz)
    return f"{year}-W{week:02d}", start, end
