"""How an incident reads as text (`yuqing incidents show`): times in the configured zone, playbook
steps with their due times and overdue marks, notes, responses, the timeline, the effect report."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.alert import SEVERITY_ZH
from alerts.incidents import STATUS_ZH, Incident
from alerts.text import span_zh

KIND_ZH = {"alert": "告警", "status": "状态", "assign": "指派", "note": "备注", "response": "回应", "playbook": "预案"}


def when(dt: datetime | None, tz: str) -> str:
    return "-" if dt is None else f"{dt.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"


def list_row(inc: Incident, tz: str) -> str:
    return (f"{inc.id:<10} {STATUS_ZH[inc.status]:<4} {SEVERITY_ZH.get(inc.severity, inc.severity):<3} "
            f"{when(inc.opened_at, tz)}  {inc.owner or '-':<10} 告警 {len(inc.alert_ids):<3} {inc.title}")


def step_lines(inc: Incident, now: datetime, tz: str) -> list[str]:
    out = []
    for i, s in enumerate(inc.playbook.steps, 1):
        if s.done:
            mark = f"✓ 已完成（{when(s.done_at, tz)}{' ' + s.done_by if s.done_by else ''}）"
        elif s.overdue(now):
            mark = f"⚠ 已逾期 {span_zh(now - s.due_at)}"
            mark += f"（{when(s.reminded_at, tz)} 已提醒）" if s.reminded_at else ""
        else:
            mark = f"剩余 {span_zh(s.due_at - now)}"
        who = f"（{s.who}）" if s.who else ""
        out.append(f"  {i}. {s.do}{who}  截止 {when(s.due_at, tz)}  {mark}")
    return out


def show_lines(inc: Incident, now: datetime, tz: str, url: str, effect: list[str] | None) -> list[str]:
    zone = "北京时间" if tz == "Asia/Shanghai" else tz
    lines = [f"事件 {inc.id}  {inc.title}",
             f"状态：{STATUS_ZH[inc.status]}    级别：{SEVERITY_ZH.get(inc.severity, inc.severity)}    "
             f"负责人：{inc.owner or '（未指派）'}    版本：{inc.version}",
             f"打开：{when(inc.opened_at, tz)}    更新：{when(inc.updated_at, tz)}    "
             f"解决：{when(inc.resolved_at, tz)}（{zone}）",
             f"告警 {len(inc.alert_ids)} 条（规则：{'、'.join(inc.rules) or '-'}）；关联事件 {len(inc.events)} 个",
             f"控制台：{url}"]
    for e in inc.events:
        lines.append(f"  · {e.get('summary') or e.get('title') or ''}  #{e.get('id', '')}")
    if inc.playbook.steps or inc.playbook.replies:
        lines += ["", f"预案（{'、'.join(inc.playbook.sources)}）："] + step_lines(inc, now, tz)
        lines += [f"  回应模板 {i}：{r}" for i, r in enumerate(inc.playbook.replies, 1)]
    if inc.responses:
        lines += ["", "品牌回应："]
        lines += [f"  {when(r.at, tz)}  {r.channel}  {r.text}  {r.url or ''}  （{r.by}）".rstrip()
                  for r in sorted(inc.responses, key=lambda r: r.at)]
    if inc.notes:
        lines += ["", "备注："] + [f"  {when(n.at, tz)}  {n.by}：{n.text}" for n in inc.notes]
    lines += ["", "时间线："]
    lines += [f"  {when(t.at, tz)}  [{KIND_ZH.get(t.kind, t.kind)}] {t.by + '：' if t.by else ''}{t.text}"
              for t in inc.timeline]
    if effect:
        lines += [""] + effect
    return lines
