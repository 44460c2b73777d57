"""Tieba replay fixtures: search result pages, thread pages with floors, floor replies (HTML).

Author-written pages in the structure of the genuine 2024-08 pages (shared/formats/tieba): the
`div.s_post_list` result list, floors whose `data-field` JSON has no date (the date is the last
`span.tail-info`, the IP location a plain `span` "IP属地:广东"), a picture-only floor, an ad slot
with `data-field="{}"`, and the `/p/comment` floor-reply fragment with unpadded dates
("2024-8-6 22:11"). Thread 9100000001 is quoted as the server sends it (`data-field='{…}'`), the
others as a browser-saved DOM (`data-field="{&quot;…}"`): the spider must read both.
"""
from __future__ import annotations

import json
from html import escape

THREADS = [  # (tid, forum, title, minutes ago, floors: [(text, minutes ago)])
    (9100000001, "星河手机", "【避雷】星河X5发热+信号差，售后还不给修", 30, [
        ("如题，买了两个月，最近更新系统以后手机一直发烫，信号也差，去售后说检测正常。", 30),
        ("同款问题，我的也是更新后开始烫", 28), ("坐等官方回应，已经在黑猫投诉了", 25),
        ("楼主可以打12315，我打了以后三天就给换了", 21), ("", 20),  # a folded floor
        ("星河手机今年是真的拉了", 18), ("<img>", 15)]),  # a picture-only floor
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
REPLIES = {  # (tid, floor no) → [(user, text or None for smileys only, minutes ago)]; one page each
    (9100000001, 2): [("数码小王子", "我也是，售后说软件问题让等更新", 27), ("吧友甲", None, 26),
                      ("爱喝奶茶的猫", '回复 <a href="http://tieba.baidu.com/i/sys/jump?un=" class="at">吧友002</a> :等了两周还没推送', 24)],
    (9100000005, 2): [("理性消费的阿杰", "发热是真的，我同事的也烫", 60 * 48 + 30)],
}
IPS = ["广东", "北京", "浙江", "四川", "上海", "江苏"]

SEARCH = """<!DOCTYPE html><html><head><meta charset="UTF-8"><title>百度贴吧_全吧搜索</title></head><body>
<div class="s_nav"><a href="/">贴吧首页</a></div><div class="s_main"><div class="s_post_list">
{posts}
</div><div class="pager pager-search">{next}</div></div></body></html>
"""
RESULT = """	<div class="s_post"><span class="p_title"><a data-tid="{tid}" data-fid="52{tail}" class="bluelink"
												 href="/p/{tid}?pid={tid}1&amp;cid=0#{tid}1"
												 target="_blank">{title}</a></span>
		<div class="p_content">
			{snippet}
		</div>
		贴吧：<a data-fid="52{tail}" class="p_forum" href="/f?kw={forum}"
				target="_blank"><font class="p_violet">{forum}</font></a>作者：<a
				href="/home/main?un=u{tail}" target="_blank"><font class="p_violet">吧友{tail}</font></a>
		<font class="p_green p_date">@@cn:{minutes}@@</font></div>"""

THREAD = """<!DOCTYPE html><html><head><meta charset="UTF-8"><title>{title}【{forum}吧】_百度贴吧</title></head><body>
<div class="card_title"><a class="card_title_fname" href="/f?kw={forum}">{forum}吧</a></div>
<div class="p_thread thread_theme_5" id="thread_theme_5"><div class="l_thread_info"><ul class="l_posts_num">
	<li class="l_pager pager_theme_4 pb_list_pager">{pager}</li></ul></div></div>
<div class="pb_content clearfix" id="pb_content"><div class="left_section"><div class="core_title_wrap_bright clearfix" id="j_core_title_wrap"><h3 class="core_title_txt pull-left text-overflow  " title="{title}" style="width: 416px;">        {title}</h3></div>
<div class="p_postlist" id="j_p_postlist">
{floors}
</div></div></div></body></html>
"""
FLOOR = """<div class="l_post l_post_bright j_l_post clearfix  " data-field={field} data-pid="{pid}"><div class="d_author"><ul class="p_author"><li class="d_name" data-field="{{&quot;user_id&quot;:{uid}}}"><a class="p_author_name j_user_card" href="/home/main?id={portrait}&amp;fr=pb" target="_blank">{user}</a></li></ul></div><div class="d_post_content_main " data-author="0"><div class="p_content "><cc><div class="j_ueg_post_content p_forbidden_tip" style="display:none;">该楼层疑似违规已被系统折叠&nbsp;</div><div id="post_content_{pid}" class="d_post_content j_d_post_content " style="display:;">                    {text}</div><br></cc></div><div class="core_reply j_lzl_wrapper"><div class="core_reply_tail clearfix"><div class="post-tail-wrap"><span>IP属地:{ip}</span><span class="j_jb_ele"><a rel="noopener" href="###" class="tail-info" data-checkun="un"></a></span><span class="tail-info">来自<a rel="noopener" href="http://c.tieba.baidu.com/c/s/download/pc?src=webtbGF" target="_blank">Android客户端</a></span><span class="tail-info">{no}楼</span><span class="tail-info">@@cn:{minutes}@@</span><a rel="noopener" href="#" class="p_reply p_reply_first">回复</a></div></div></div></div></div>"""
AD = """<div class="l_post l_post_bright j_l_post clearfix  " data-field="{}"><div class="_8x9ty64"><h3>品牌推广</h3></div></div>"""
PICTURE = ('<img class="BDE_Image" src="http://tiebapic.baidu.com/forum/w%3D580/sign=0a1b/f02be137acaf.jpg" size="148855" '
           'changedsize="true" width="560" height="818"><div class="replace_tip" style="width: 558px;"><i class="icon-expand">'
           '</i>点击展开，查看完整图片</div>')
LZL = """<li class="lzl_single_post j_lzl_s_p {first}" data-field='{field}'>
    <a rel="noopener" name="{spid}"></a>
    <div class="lzl_cnt" data-field='{{&quot;iconArr&quot;:[],&quot;free_flag&quot;:null}}'>
        <a rel="noopener" class="at j_user_card " href="/home/main?id={portrait}&ie=utf-8&fr=pb" target="_blank" username="{user}">{user}</a>
        :
        <span class="lzl_content_main" data-username="">
            {text}
        </span>
        <div class="lzl_content_reply">
            <span class="lzl_time">{time}</span>
            <a rel="noopener" href="#" class="lzl_s_r">回复</a>
        </div>
    </div>
</li>
"""
LZL_PAGER = """<li class="lzl_li_pager j_lzl_l_p lzl_li_pager_s" data-field='{{&quot;total_num&quot;:{n},&quot;total_page&quot;:1}}'>
    <a rel="noopener" class="j_lzl_p btn-sub btn-small pull-right" href="##"><i class="icon-reply"></i>我也说一句</a>
</li>
"""
SMILEY = ('<img class="BDE_Smiley" width="30" height="30" changedsize="false" '
          'src="https://gsp0.baidu.com/5aAHeD3nKhI2p27j8IqW0jdnxx1xbK/tb/editor/images/client/image_emoticon25.png">')


def field_attr(data: dict, raw: bool) -> str:
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")
    if raw:  # as the server sends it
        return "'" + text.replace("'", "&#39;") + "'"
    return '"' + escape(text, quote=True).replace("&#x27;", "'") + '"'  # as a browser-saved DOM has it


def floor(tid: int, no: int, text: str, minutes: int, raw: bool) -> str:
    pid = tid * 100 + no
    portrait = f"tb.1.{tid % 10**8:08x}.u{no:03d}"
    html = PICTURE if text == "<img>" else escape(text)
    field = {"author": {"user_id": 88000 + no * 13, "user_name": f"吧友{no:03d}", "props": None,
                        "portrait": f"{portrait}?t=1712161997", "user_nickname": None},
             "content": {"post_id": pid, "is_anonym": False, "forum_id": 52, "thread_id": tid,
                         "content": html, "isPlus": 0, "post_no": no, "type": "0",
                         "comment_num": len(REPLIES.get((tid, no), [])), "is_fold": int(no == 5 and not text),
                         "props": None, "post_index": no - 1, "pb_tpoint": None}}
    return FLOOR.format(field=field_attr(field, raw), uid=88000 + no * 13, portrait=portrait, user=f"吧友{no:03d}",
                        pid=pid, text=html, no=no, minutes=minutes, ip=IPS[(tid + no) % len(IPS)])


def lzl_time(minutes: int) -> str:
    """The unpadded form the reply fragment uses, as a marker the replay server fills in."""
    return f"@@lzl:{minutes}@@"


def replies(tid: int, no: int) -> str:
    rows = REPLIES[(tid, no)]
    out = []
    for k, (user, text, minutes) in enumerate(rows):
        spid = (tid * 100 + no) * 100 + k
        field = {"spid": spid, "showname": user, "user_name": user, "portrait": f"tb.1.{spid % 10**8:08x}.lzl"}
        out.append(LZL.format(first="first_no_border" if k == 0 else "", field=escape(json.dumps(field, separators=(",", ":")), quote=False)
                              .replace('"', "&quot;"), spid=spid, portrait=field["portrait"], user=user,
                              text=SMILEY * 2 if text is None else text, time=lzl_time(minutes)))
    return "".join(out) + LZL_PAGER.format(n=len(rows))


def build(write) -> None:
    results = [RESULT.format(tid=t, tail=str(t)[-3:], title=escape(title), snippet=escape((floors or [("",)])[0][0][:40]),
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
            html = [floor(tid, (pn - 1) * 5 + k + 1, text, m, raw=tid == THREADS[0][0]) for k, (text, m) in enumerate(chunk)]
            if pn == 1:
                html.insert(2, AD)
            pager = (f'<span class="tP">{pn}</span>\n<a href="/p/{tid}?pn={pn + 1}">{pn + 1}</a>\n'
                     f'<a href="/p/{tid}?pn={pn + 1}">下一页</a>\n') if pn < len(pages) else f'<span class="tP">{pn}</span>'
            write(f"tieba.baidu.com/p/{tid}/{pn}.html", THREAD.format(title=escape(title), forum=forum,
                                                                        floors="".join(html), pager=pager))
    for tid, no in REPLIES:
        write(f"tieba.baidu.com/comment/{tid}/{tid * 100 + no}/1.html", replies(tid, no))
    # a floor whose data-field is broken JSON (the second floor of the second thread)
    p = f"tieba.baidu.com/p/{THREADS[1][0]}/1.html"
    from crawlers.replay.server import DATA
    text = (DATA / p).read_text(encoding="utf-8")
    write(p, text.replace("&quot;post_no&quot;:2,", "&quot;post_no&quot;:2,,", 1))
    write("tieba.baidu.com/search/青禾奶茶/1.html", """<!DOCTYPE html><html><head><meta charset="utf-8"><title>百度安全验证</title></head>
<body><div class="timeout-title">网络不给力，请稍后重试</div><div class="vcode-body"><p>请完成下方验证后继续操作</p>
<div id="captcha-slider"></div></div></body></html>
""")
    write("tieba.baidu.com/search/_default.html", SEARCH.format(
        posts='<div class="s_empty">抱歉，没有找到与“关键词”相关的结果。</div>', next=""))

