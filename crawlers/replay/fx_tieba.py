"""Tieba replay fixtures: search result pages and thread pages with floors (HTML)."""
from __future__ import annotations

import json
from html import escape

THREADS = [  # (tid, forum, title, minutes ago, floors: [(text, minutes ago)])
    (9100000001, "星河手机", "【避雷】星河X5发热+信号差，售后还不给修", 30, [
        ("如题，买了两个月，最近更新系统以后手机一直发烫，信号也差，去售后说检测正常。", 30),
        ("同款问题，我的也是更新后开始烫", 28), ("坐等官方回应，已经在黑猫投诉了", 25),
        ("楼主可以打12315，我打了以后三天就给换了", 21), ("", 20),  # a folded floor
        ("星河手机今年是真的拉了", 18), ("我的电池鼓包了，吓死", 15)]),
    (9100000002, "星河手机", "星河手机客服是不是都下班了？电话一直打不通", 80, [
        ("打了一下午客服电话都是忙音，在线客服也是机器人", 80), ("+1，我也联系不上", 70),
        ("周末好像人工客服不上班", 66)]),
    (9100000003, "数码", "星河手机新系统体验（已删）", 120, []),  # the thread was deleted
    (9100000004, "星河手机", "星河Pro用了半年的真实感受", 60 * 26, [
        ("拍照很好，续航一般，系统偶尔卡顿，总体还行吧", 60 * 26), ("同感，拍照确实不错", 60 * 25)]),
    (9100000005, "手机", "星河手机和隔壁家怎么选？预算三千", 60 * 50, [
        ("学生党，主要打游戏和拍照，纠结中", 60 * 50), ("最近星河发热问题挺多的，建议等等", 60 * 49),
        ("星河手機其實還行，我用了一年沒問題", 60 * 48)]),
]

SEARCH = """<!DOCTYPE html><html><head><meta charset="UTF-8"><title>百度贴吧_全吧搜索</title></head><body>
<div class="s_nav"><a href="/">贴吧首页</a></div><div class="s_post_list">
{posts}
</div><div class="pager pager-search">{next}</div></body></html>
"""
RESULT = """<div class="s_post"><span class="p_title"><a data-tid="{tid}" data-fid="52{tid_tail}" class="bluelink"
href="/p/{tid}?pid={tid}1&amp;cid=#{tid}1" target="_blank">{title}</a></span>
<div class="p_content">{snippet}</div>
贴吧：<a data-fid="52" class="p_forum" href="/f?kw={forum}" target="_blank"><font class="p_violet">{forum}</font></a>
作者：<a href="/i/sys/jump?un=u{tid_tail}" target="_blank"><font class="p_violet">吧友{tid_tail}</font></a>
<font class="p_green p_date">@@cn:{minutes}@@</font></div>"""

THREAD = """<!DOCTYPE html><html><head><meta charset="UTF-8"><title>{title}_{forum}吧_百度贴吧</title></head><body>
<div class="card_title"><a class="card_title_fname" href="/f?kw={forum}">{forum}吧</a></div>
<div class="core_title_wrap_bright"><h3 class="core_title_txt pull-left text-overflow" title="{title}">{title}</h3></div>
<div id="j_p_postlist" class="p_postlist">
{floors}
</div><ul class="l_posts_num"><li class="l_pager pager_theme_4 pb_list_pager">{pager}</li></ul></body></html>
"""
FLOOR = """<div class="l_post l_post_bright j_l_post clearfix" data-field='{field}'>
<div class="d_author"><ul class="p_author"><li class="d_name"><a class="p_author_name j_user_card">{user}</a></li></ul></div>
<div class="d_post_content_main"><div class="p_content"><cc><div id="post_content_{pid}" class="d_post_content j_d_post_content">
{text}</div></cc></div>
<div class="core_reply j_lzl_wrapper"><div class="post-tail-wrap"><span class="tail-info">{no}楼</span><span class="tail-info">@@cn:{minutes}@@</span></div></div></div></div>"""


def floor(tid: int, no: int, text: str, minutes: int, old_style: bool) -> str:
    pid = tid * 100 + no
    field = {"author": {"user_id": 88000 + no * 13, "user_name": f"吧友{no:03d}", "props": None},
             "content": {"post_id": pid, "is_anonym": False, "forum_id": 52, "thread_id": tid, "post_no": no,
                         "type": "0", "comment_num": 0}}
    if old_style:  # older pages carried the date in data-field
        field["content"]["date"] = f"@@cn:{minutes}@@"
    return FLOOR.format(field=escape(json.dumps(field, ensure_ascii=False), quote=True).replace("&#x27;", "'"),
                        user=f"吧友{no:03d}", pid=pid, text=escape(text), no=no, minutes=minutes)


def build(write) -> None:
    results = [RESULT.format(tid=t, tid_tail=str(t)[-3:], title=escape(title), snippet=escape((floors or [("",)])[0][0][:40]),
                             forum=forum, minutes=m) for t, forum, title, m, floors in THREADS]
    write("tieba.baidu.com/search/星河手机/1.html",
          SEARCH.format(posts="\n".join(results[:3]), next='<a class="next" href="/f/search/res?qw=星河手机&amp;pn=2">下一页&gt;</a>'))
    write("tieba.baidu.com/search/星河手机/2.html", SEARCH.format(posts="\n".join(results[3:]), next=""))
    for tid, forum, title, _, floors in THREADS:
        if not floors:
            write(f"tieba.baidu.com/p/{tid}/1.html", "<html><head><meta charset='UTF-8'><title>贴吧404</title></head>"
                                                     "<body><div class='page404'>很抱歉，该贴已被删除。</div></body></html>")
            continue
        pages = [floors[i:i + 5] for i in range(0, len(floors), 5)]
        for pn, chunk in enumerate(pages, 1):
            html = "\n".join(floor(tid, (pn - 1) * 5 + k + 1, text, m, old_style=tid % 2 == 0)
                             for k, (text, m) in enumerate(chunk))
            pager = f'<a href="/p/{tid}?pn={pn + 1}">下一页</a>' if pn < len(pages) else ""
            write(f"tieba.baidu.com/p/{tid}/{pn}.html", THREAD.format(title=escape(title), forum=forum, floors=html,
                                                                        pager=pager))
    # a floor whose data-field is broken JSON (the second floor of the second thread)
    p = f"tieba.baidu.com/p/{THREADS[1][0]}/1.html"
    from crawlers.replay.server import DATA
    text = (DATA / p).read_text(encoding="utf-8")
    write(p, text.replace("&quot;post_no&quot;: 2,", "&quot;post_no&quot;: 2,,", 1))
    write("tieba.baidu.com/search/青禾奶茶/1.html", """<!DOCTYPE html><html><head><meta charset="utf-8"><title>百度安全验证</title></head>
<body><div class="timeout-title">网络不给力，请稍后重试</div><div class="vcode-body"><p>请完成下方验证后继续操作</p>
<div id="captcha-slider"></div></div></body></html>
""")
    write("tieba.baidu.com/search/_default.html", SEARCH.format(
        posts='<div class="s_empty">抱歉，没有找到与“关键词”相关的结果。</div>', next=""))
