"""Replay fixtures for the config-driven spider: a Discuz-style forum list with two pages."""
from __future__ import annotations

from html import escape

HOST = "bbs.example-forum.cn"
THREADS = [  # (id, title, author, minutes ago, replies, first floor)
    (5001, "星河手机X5发烫问题汇总贴（持续更新）", "机友会版主", 22, "回复 1.2万",
     "本帖汇总大家反馈的星河手机发热、信号、鼓包问题，请按格式回帖：机型+系统版本+问题描述。"),
    (5002, "星河手机售后太难了，来吐个槽", "老王不在家", 64, "回复 86",
     "第三次送修了，每次都说检测正常。星河的售后真的需要好好整顿一下。"),
    (5003, "分享：青禾奶茶隐藏菜单", "奶茶控", 60 * 8, "回复 45",
     "青禾奶茶桂花乌龙+燕麦奶，去冰三分糖，强烈推荐！"),
    (5004, "有没有人和我一样觉得星河Pro拍照很好", "摄影爱好者", 60 * 30, "回复 12",
     "周末出去拍了一组，星河Pro的夜景比我想象中好。"),
    (5005, "二手交易：出一台九成新相机", "闲置出", 60 * 31, "回复 3", "镜头无划痕，可小刀。"),
    (5006, "星河手机系统更新后耗电快，有解决办法吗", "小白求助", 60 * 40, "回复 27", ""),  # detail page fails
    (5007, "青禾奶茶新店开业活动", "本地通", None, "回复 9", "买一送一"),  # no date on the list
]

LIST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>数码生活 - 示例论坛</title></head><body>
<div id="hd"><a href="/">示例论坛</a> &raquo; 数码生活</div>
<ul class="threadlist">
{items}
</ul>
<div class="pg">{next}</div></body></html>
"""
ITEM = """<li><a class="subject" href="thread-{id}-1-1.html">{title}</a>
<span class="author">{author}</span> <span class="time">{time}</span> <span class="replies">{replies}</span></li>"""
DETAIL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - 示例论坛</title></head><body>
<h1>{title}</h1><div class="post"><div class="post-author">{author}</div>
<div class="post-content"><p>{text}</p><p class="sign">—— 来自 示例论坛 手机版</p></div></div></body></html>
"""


def build(write) -> None:
    def item(t):
        tid, title, author, minutes, replies, _ = t
        return ITEM.format(id=tid, title=escape(title), author=escape(author),
                           time=f"@@cn:{minutes}@@" if minutes is not None else "", replies=replies)

    first, second = THREADS[:4], THREADS[4:]
    write(f"{HOST}/forum-12-1.html", LIST.format(items="\n".join(map(item, first)),
                                                 next='<a class="nxt" href="forum-12-2.html">下一页</a>'))
    write(f"{HOST}/forum-12-2.html", LIST.format(items="\n".join(map(item, second)), next=""))
    for tid, title, author, _, _, text in THREADS:
        if not text:
            write(f"{HOST}/thread-{tid}-1-1.html.500", "<html><body><h1>500 Internal Server Error</h1></body></html>")
            continue
        write(f"{HOST}/thread-{tid}-1-1.html", DETAIL.format(title=escape(title), author=escape(author),
                                                            text=escape(text)))
