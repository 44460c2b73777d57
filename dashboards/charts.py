"""Small PNG charts for reports and alert e-mails (matplotlib, no display needed).

Chinese labels need a CJK font; without one matplotlib draws empty boxes. `setup_fonts()` picks
the first installed CJK family (Debian: fonts-wqy-zenhei or fonts-noto-cjk) and registers font
files installed after matplotlib built its cache.
"""
from __future__ import annotations

import io
import logging
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

log = logging.getLogger(__name__)

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "Droid Sans Fallback", "SimHei", "Microsoft YaHei", "PingFang SC")
CJK_FILES = ("notosanscjk", "wqyzenhei", "wqymicrohei", "sourcehansans", "droidsansfallback")
COLORS = {"negative": "#d64541", "neutral": "#9aa5b1", "positive": "#2e9d5b", "unknown": "#d9dde2"}
LABEL_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面", "unknown": "未标注"}
_font: str | None | bool = False  # False: not looked up yet


def setup_fonts() -> str | None:
    """The CJK family now used for text, or None (Chinese will render as boxes; logged once)."""
    global _font
    if _font is not False:
        return _font  # type: ignore[return-value]
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not any(n in names for n in CJK_FAMILIES):
        for path in font_manager.findSystemFonts():
            if any(k in path.lower().replace("-", "").replace("_", "") for k in CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:  # a broken font file must not break a report
                    continue
        names = {f.name for f in font_manager.fontManager.ttflist}
    _font = next((n for n in CJK_FAMILIES if n in names), None)
    plt.rcParams["font.size"] = 11
    if _font:
        plt.rcParams["font.sans-serif"] = [_font, "DejaVu Sans"]
        plt.rcParams["font.family"] = "sans-serif"
        plt.rcParams["axes.unicode_minus"] = False
    else:
        log.warning("no CJK font found (install fonts-noto-cjk or fonts-wqy-zenhei); Chinese chart labels "
                    "will not render")
        # said once above; matplotlib would repeat it for every glyph of every label
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
    return _font


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _figure(w: float = 6.0, h: float = 3.0):
    setup_fonts()
    fig, ax = plt.subplots(figsize=(w, h))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#eeeeee")
    ax.set_axisbelow(True)
    return fig, ax


def _time_axis(ax, tz: ZoneInfo, span: timedelta) -> None:
    if span <= timedelta(days=1, hours=1):
        ax.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 3), tz=tz))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    else:
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, span.days // 8), tz=tz))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d", tz=tz))


def volume_chart(timeline: list[tuple[datetime, dict[str, int]]], width: timedelta, tz: str = "Asia/Shanghai",
                 title: str = "声量趋势（按情感）") -> bytes:
    """Stacked bars per bucket: negative at the bottom, where the eye starts."""
    zone = ZoneInfo(tz)
    fig, ax = _figure()
    xs = [t for t, _ in timeline]
    bottom = [0] * len(xs)
    for label in ("negative", "neutral", "positive", "unknown"):
        ys = [c.get(label, 0) for _, c in timeline]
        if any(ys):
            ax.bar(xs, ys, width=width * 0.85, bottom=bottom, color=COLORS[label], label=LABEL_ZH[label],
                   align="edge")
            bottom = [b + y for b, y in zip(bottom, ys)]
    if xs:
        _time_axis(ax, zone, xs[-1] - xs[0] + width)
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_ylabel("帖子数")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False, ncol=4, fontsize=9, loc="lower right", bbox_to_anchor=(1, 1.0), handlelength=1)
    return _png(fig)


def regroup(timeline: list[tuple[datetime, dict[str, int]]], k: int) -> list[tuple[datetime, dict[str, int]]]:
    """Merge every k consecutive buckets: an hourly share swings 0–100% on a single post."""
    out = []
    for i in range(0, len(timeline), k):
        merged: dict[str, int] = {}
        for _, c in timeline[i:i + k]:
            for label, n in c.items():
                merged[label] = merged.get(label, 0) + n
        out.append((timeline[i][0], merged))
    return out


def negative_share_chart(timeline: list[tuple[datetime, dict[str, int]]], width: timedelta,
                         tz: str = "Asia/Shanghai") -> bytes:
    zone = ZoneInfo(tz)
    fig, ax = _figure(h=2.4)
    xs, ys = [], []
    for t, c in timeline:
        total = sum(c.values())
        if total:
            xs.append(t + width / 2)
            ys.append(100 * c.get("negative", 0) / total)
    ax.plot(xs, ys, marker="o", color=COLORS["negative"], linewidth=2, markersize=4)
    ax.set_ylim(0, 100)
    ax.set_ylabel("负面占比 %")
    ax.set_title("负面占比趋势", loc="left", fontsize=11)
    if timeline:
        _time_axis(ax, zone, timeline[-1][0] - timeline[0][0] + width)
    return _png(fig)


def platform_chart(platforms: dict[str, int], names: dict[str, str] | None = None) -> bytes:
    """Horizontal bars with share labels: readable on a narrow phone screen, unlike a pie."""
    names = names or {}
    items = sorted(platforms.items(), key=lambda kv: kv[1])
    total = sum(platforms.values()) or 1
    fig, ax = _figure(h=0.45 * max(len(items), 2) + 0.6)
    labels = [names.get(k, k) for k, _ in items]
    vals = [v for _, v in items]
    ax.barh(labels, vals, color="#3b7dd8")
    for i, v in enumerate(vals):
        ax.text(v, i, f" {v}（{100 * v / total:.0f}%）", va="center", fontsize=9)
    ax.set_xlim(0, max(vals or [1]) * 1.35)
    ax.grid(axis="y", visible=False)
    ax.set_title("平台声量分布", loc="left", fontsize=11)
    return _png(fig)


def aspect_chart(aspects: dict[str, int], negative_posts: int) -> bytes:
    """The aspects with the most negative posts (nlp/aspects.py), as bars with the share of the
    period's negative-about-something posts each stands for."""
    items = sorted(aspects.items(), key=lambda kv: (kv[1], kv[0]))
    fig, ax = _figure(h=0.45 * max(len(items), 2) + 0.6)
    vals = [v for _, v in items]
    ax.barh([k for k, _ in items], vals, color="#d64541")
    for i, v in enumerate(vals):
        ax.text(v, i, f" {v}（{100 * v / max(negative_posts, 1):.0f}%）", va="center", fontsize=9)
    ax.set_xlim(0, max(vals or [1]) * 1.35)
    ax.grid(axis="y", visible=False)
    ax.set_title("负面最多的方面（帖子数）", loc="left", fontsize=11)
    return _png(fig)


def negative_chart(store, topic: str, now: datetime, window_start: datetime, window_end: datetime,
                   tz: str = "Asia/Shanghai", interval_minutes: int = 60, baseline_days: int = 7) -> bytes:
    """PNG for alert e-mails: the topic's negative posts per hour over the last day, against its
    baseline (the mean of the same hour on the previous `baseline_days` days), with the alert
    window shaded. Reads only through the store, so backtests draw what live alerts would."""
    zone = ZoneInfo(tz)
    step = timedelta(minutes=interval_minutes)
    end = now.astimezone(timezone.utc)
    start = end - timedelta(days=1)
    edges = [start + i * step for i in range(int(timedelta(days=1) / step))]
    windows = [(s, s + step) for s in edges]
    counts = store.posts.window_counts(topic, windows, negative_only=True)
    past = [(s - timedelta(days=d), s - timedelta(days=d) + step) for d in range(1, baseline_days + 1) for s in edges]
    past_counts = store.posts.window_counts(topic, past, negative_only=True)
    n = len(edges)
    baseline = [sum(past_counts[d * n + i] for d in range(baseline_days)) / baseline_days for i in range(n)]

    fig, ax = _figure(w=6.4, h=2.8)
    ax.axvspan(window_start, window_end, color="#f5b041", alpha=0.3, label="预警窗口", zorder=0)
    ax.bar(edges, counts, width=step * 0.85, align="edge", color=COLORS["negative"], label="负面帖子")
    ax.step([*edges, end], [*baseline, baseline[-1] if baseline else 0], where="post", color="#34495e",
            linestyle="--", linewidth=1.5, label=f"基线（前{baseline_days}天同时段均值）")
    _time_axis(ax, zone, timedelta(days=1))
    ax.set_xlim(start, end)
    ax.yaxis.get_major_locator().set_params(integer=True)
    zone_name = "北京时间" if tz == "Asia/Shanghai" else tz
    ax.set_title(f"{topic} 负面声量（近24小时，{now.astimezone(zone):%m-%d %H:%M} {zone_name}）", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return _png(fig)
