"""Times and durations as people write them, in one grammar for every command and config key.

- Durations: 30s, 15m, 2h, 7d (plain numbers are seconds): `parse_duration`, the `Duration`
  config type.
- A moment (`--since`, `--until`, `--at`): "now", "now-2h" / "-2h" / "2h" (that long ago), or an
  ISO date or time (naive ones in the configured zone): `parse_when`.
- Dates platforms print without their year: `without_year`.

Platforms print recent posts as "12-31", "12月31日 23:50" or "昨天 23:10", leaving the year (or
the day) to the reader's clock. Filling in the *current* year is wrong for a week every year: read
on 2027-01-01 00:30, "12-31" would become 2027-12-31, a year in the future, and an incremental
checkpoint set to it would call every post of the coming year "already seen". So a year-less
date is the latest such moment that is not in the future, and the clock is always a parameter.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, PlainSerializer

from yuqing.post import SHANGHAI

_DUR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(v: Any) -> timedelta:
    """Durations are written the way people say them (30s, 15m, 2h, 7d); plain numbers are seconds."""
    if isinstance(v, timedelta):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return timedelta(seconds=float(v))
    m = _DUR.match(str(v))
    if not m:
        raise ValueError(f"not a duration: {v!r} (write e.g. 30s, 15m, 2h, 7d)")
    return timedelta(seconds=float(m.group(1)) * _UNIT[m.group(2)])


def format_duration(d: timedelta) -> str:
    s = int(d.total_seconds())
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s and s % n == 0:
            return f"{s // n}{unit}"
    return f"{s}s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)]


def parse_when(value: str, now: datetime, tz: str = "Asia/Shanghai") -> datetime:
    """A moment as a person writes it: "now", "now-2h" / "-2h" / "2h" (that long before `now`),
    or an ISO date or time (naive ones in `tz`). UTC out; ValueError naming the forms otherwise."""
    v = value.strip()
    if v == "now":
        return now
    ago = v.removeprefix("now").lstrip("-") if v.startswith(("now-", "-")) else v
    if _DUR.match(ago):
        return now - parse_duration(ago)
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a time: write e.g. 6h, now-2h, 2026-11-20 or 2026-11-20T14:00+08:00") \
            from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return dt.astimezone(timezone.utc)

# A platform's clock may run a little ahead of ours; more than this and the date is last year's.
SKEW = timedelta(minutes=10)


def without_year(month: int, day: int, hour: int = 0, minute: int = 0, *, now: datetime) -> datetime:
    """The most recent Shanghai time with this month, day and clock time, not after `now`.

    29 February read in a year without one is the last leap year's."""
    local = now.astimezone(SHANGHAI)
    for year in range(local.year, local.year - 9, -1):
        try:
            t = datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
        except ValueError:
            continue  # 29 February outside a leap year (or no such date at all: raised below)
        if t <= local + SKEW:
            return t
    raise ValueError(f"no such date: {month:02d}-{day:02d} {hour:02d}:{minute:02d}")
