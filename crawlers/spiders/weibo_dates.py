"""Weibo's date forms, mobile (m.weibo.cn) and PC search (s.weibo.com), read at the crawl's clock."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from yuqing.post import SHANGHAI, parse_time
from yuqing.times import SKEW, without_year


def weibo_time(value, now: datetime):
    """The full date format, or the relative forms older bodies (and some cards) still use,
    read at `now` (the crawl's clock: 今天/昨天 are Shanghai days, "06-27" is the latest 27 June
    not in the future)."""
    if not isinstance(value, str):
        return value
    s = value.strip()
    now = now.astimezone(SHANGHAI)
    if s == "刚刚":
        return now
    m = re.fullmatch(r"(\d+)\s*(秒|分钟|小时)前", s)
    if m:
        unit = {"秒": "seconds", "分钟": "minutes", "小时": "hours"}[m.group(2)]
        return now - timedelta(**{unit: int(m.group(1))})
    m = re.fullmatch(r"(今天|昨天)\s*(\d{1,2}):(\d{2})", s)
    if m:
        day = now - timedelta(days=1 if m.group(1) == "昨天" else 0)
        t = day.replace(hour=int(m.group(2)), minute=int(m.group(3)), second=0, microsecond=0)
        # "今天 23:58" on a page rendered just before midnight and read just after it is yesterday's
        return t - timedelta(days=1) if t > now + SKEW else t
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", s)
    if m:
        return without_year(int(m.group(1)), int(m.group(2)), now=now)
    return parse_time(s)


def pc_time(s: str, now: datetime) -> datetime:
    """s.weibo.com's forms: "11月20日 13:45" (this year's, read at `now`), "2023年11月20日 13:45",
    and the mobile site's relative ones ("5分钟前", "今天 13:45")."""
    s = " ".join(s.split())
    m = re.fullmatch(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日 (\d{1,2}):(\d{2})", s)
    if m and m.group(1):
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5)),
                        tzinfo=SHANGHAI)
    if m:
        return without_year(int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5)), now=now)
    return weibo_time(s, now)
