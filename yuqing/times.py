"""Dates people and platforms write without all their parts.

Platforms print recent posts as "12-31", "12月31日 23:50" or "昨天 23:10", leaving the year (or
the day) to the reader's clock. Filling in the *current* year is wrong for a week every year: read
on 2027-01-01 00:30, "12-31" would become 2027-12-31, a year in the future, and an incremental
checkpoint set to it would call every post of the coming year "already seen". So a year-less
date is the latest such moment that is not in the future, and the clock is always a parameter.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from yuqing.post import SHANGHAI

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
