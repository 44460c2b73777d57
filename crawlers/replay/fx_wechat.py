"""WeChat replay fixtures: Sogou WeChat search pages and mp.weixin.qq.com article pages (HTML).

Author-written pages in the structure of the genuine samples (shared/formats/wechat): the 2017
Sogou result list, an article in the 2018 layout (`h2#activity-name`, `var nickname = "…"`) and
one in the 2025 layout (`h1`, `htmlDecode("…")`, `var createTime`, `msg_link`, library code that
re-declares `var biz`), the deleted page (`.weui-msg__title.warn`) and the 934-byte "该内容暂时
无法查看" page, both served with status 200.
"""
from __future__ import annotations

from html import escape

ARTICLES = [  # (signature, account, gh id, title, minutes ago, layout year, paragraphs)
    ("XH1sigAx", "数码观察室", "gh_5a1c0d9e2f01", "星河手机发热门调查：我们拆了三台星河X5", 70, 2025, [
        "最近一周，后台收到上百条读者留言，都在说同一件事：星河手机更新系统以后发烫、掉信号。",
        "我们买了三台星河X5做测试。玩二十分钟游戏后，机身背面最高温度达到52度，远高于同价位机型。",
        "拆机后发现，散热铜管与芯片之间的导热硅脂涂抹不均。星河手机客服对此的回应是“个别现象”。",
        "我们的建议：已经出现电池鼓包的用户立即停止使用，保留购买凭证，通过12315维权。"]),
    ("XH2sigBy", "消费维权笔记", "gh_7b2e4f6a8c03", "星河Pro售后拒保？教你三步维权", 180, 2018, [
        "不少读者反映，星河Pro电池鼓包后去售后，被告知“人为损坏”，需要自费更换。",
        "第一步，保留证据；第二步，向星河手机官方客服书面投诉；第三步，向消协和12315投诉。",
        "根据三包规定，手机主机的保修期为一年，电池为六个月，质量问题不应由消费者承担。"]),
    ("XH3sigCz", "深圳生活圈", "gh_9c3d5e7f9a05", "深圳这家手机维修店火了，星河手机用户排长队", 60 * 30, 2018, [
        "星河手机售后网点排队太久，不少用户选择了第三方维修店。",
        "店主说，这周来修星河手机的人比平时多了三倍，大多是换电池。"]),
    ("XH4sigDw", "科技早知道", "gh_1e2f3a4b5c07", "星河手机将推送系统修复补丁（原文已删除）", 95, 2025, None),  # deleted
    ("XH5sigEv", "匿名号", "gh_2f3a4b5c6d09", "星河手机内部邮件曝光", 120, 2025, "unavailable"),
    ("QH1sigFu", "吃喝玩乐指南", "gh_3a4b5c6d7e11", "青禾奶茶秋季新品测评：桂花乌龙依然能打", 60 * 6, 2025, [
        "青禾奶茶这季上了四款新品，我们挑了最受欢迎的两款试喝。",
        "桂花乌龙茶底清爽，桂花香不抢味；荔枝冰茶偏甜，建议选三分糖。"]),
]

SEARCH = """<!doctype html>
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
    <title>{kw}的相关微信公众号文章 – 搜狗微信搜索</title>
    <script>var oldQuery = "{kw}"; var now = 1500052504654;</script>
</head>
<body>
<div class="wrapper"><div class="main-left" id="main">
<div class="news-box">
<ul class="news-list">
{items}
</ul>
<div class="p-fy" id="pagebar_container">{pager}<div class="mun">找到约{total}条结果</div></div>
</div></div></div></body></html>
"""
ITEM = """		<!-- a -->
		<li id="sogou_vr_11002601_box_{i}" d="ab735a258a90e8e1-6bee54fcbd896b2a-{sig}">
<div class="img-box">
<a data-z="art" target="_blank" id="sogou_vr_11002601_img_{i}" href="{link}" uigs="article_image_{i}"><img src="http://img01.sogoucdn.com/net/a/04/link?appid=100520033" onload="resizeImage(this,140,105)" onerror="errorImage(this)"></a>
</div>
<div class="txt-box">
<h3>
<a target="_blank" href="{link}" id="sogou_vr_11002601_title_{i}" uigs="article_title_{i}">{title}</a>
</h3>
<p class="txt-info" id="sogou_vr_11002601_summary_{i}">{summary}</p>
<div class="s-p" t="@@ts:{minutes}@@">
<a class="account" target="_blank" id="sogou_vr_11002601_account_{i}" i="oIWsFt{sig}" href="http://mp.weixin.qq.com/profile?src=3&amp;timestamp=1500052504&amp;ver=1&amp;signature=p{sig}" data-isV="0" uigs="article_account_{i}">{account}</a><span class="s2"><script>document.write(timeConvert('@@epoch:{minutes}@@'))</script></span>
</div>
</div>
</li>

		<!-- z -->
"""
NEXT = """<span>{page}</span><a id="sogou_next" href="?query={kw}&amp;type=2&amp;page={nxt}&amp;ie=utf8" class="np" uigs="page_next">下一页</a>"""

ARTICLE_2018 = """<!DOCTYPE html>
<!--headTrap<body></body><head></head><html></html>-->
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
    <title>{title}</title>
</head>
<body id="activity-detail" class="zh_CN mm_appmsg  appmsg_skin_default appmsg_style_default not_in_mm">
<div id="js_article" class="rich_media">
    <div class="rich_media_inner">
        <div id="page-content" class="rich_media_area_primary">
            <div id="img-content">
                <h2 class="rich_media_title" id="activity-name">
                    {title} </h2>
                <div id="meta_content" class="rich_media_meta_list">
                    <em id="post-date" class="rich_media_meta rich_media_meta_text">@@cn:{minutes}@@</em>
                    <a class="rich_media_meta rich_media_meta_link rich_media_meta_nickname" href="##" id="post-user">{account}</a>
                </div>
                <div class="rich_media_content " id="js_content">
{body}
                </div>
            </div>
        </div>
    </div>
</div>
<script nonce="599881638" type="text/javascript">
    var biz = "" || "{biz}";
    var sn = "" || "" || "{sig}";
    var mid = "" || "" || "{mid}";
    var idx = "" || "" || "1";
    var appuin = "" || "{biz}";
    var nickname = "{account}";
    var appmsg_type = "9";
    var ct = "@@epoch:{minutes}@@";
    var user_name = "{gh}";
    var msg_title = "{title}";
    var msg_link = "";
    msg_desc = "{title}";
    read_num = "" * 1;
    like_num = "" * 1;
</script>
</body>
</html>
"""
ARTICLE_2025 = """<!DOCTYPE html>
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
    <title></title>
    <meta property="og:title" content="{title}" />
    <meta property="og:url" content="https://mp.weixin.qq.com/s/{sig}" />
</head>
<body id="activity-detail" class="zh_CN wx_wap_page">
<script type="text/javascript" nonce="">
    var biz = "{biz}" || "";
    var sn = "{sig}" || "" || "";
    var mid = "{mid}" || "" || "";
    var idx = "1" || "" || "";
    var msg_link = "https://mp.weixin.qq.com/s/{sig}";
</script>
<div id="js_article" class="rich_media"><div class="rich_media_inner"><div id="page-content" class="rich_media_area_primary" style="">
            <div class="rich_media_area_primary_inner">
                <div id="img-content" class="rich_media_wrp">
                    <h1 class="rich_media_title " id="activity-name">
                        {title}</h1>
                    <div id="meta_content" class="rich_media_meta_list">
                        <span class="rich_media_meta rich_media_meta_nickname" id="profileBt">
              <a href="javascript:void(0);" class="wx_tap_link js_wx_tap_highlight weui-wa-hotarea" id="js_name">
                {account}              </a>
            </span>
                        <span id="meta_content_hide_info" class="">
              <em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>
            </span>
                    </div>
                    <div class="rich_media_content js_underline_content
                       defaultNoSetting
            " id="js_content" style="visibility: hidden; opacity: 0; ">
{body}
                    </div>
                </div></div></div></div></div>
<script type="text/javascript" nonce="" reportloaderror>
    var nickname = htmlDecode("{account}");
    var ct = "@@epoch:{minutes}@@";
    var createTime = '@@cn:{minutes}@@';
    var user_name = "{gh}";
    var msg_title = '{title}'.html(false);
    msg_desc = htmlDecode("{title}");
    var item_show_type = "0";
    read_num = "" * 1;
    like_num = "" * 1;
</script>
<script type="text/javascript" nonce="">
    function getBiz(opt) {{ var biz = opt.biz || window.biz; var mid = opt.mid || window.mid; return biz + mid; }}
</script>
</body>
</html>
"""
DELETED = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title></title></head>
<body id="activity-detail" class="zh_CN wx_wap_page">
<div class="weui-msg">
    <div class="weui-msg__icon-area"><i class="weui-icon-warn weui-icon_msg-primary"></i></div>
    <div class="weui-msg__text-area">
        <div class="weui-msg__title warn">该内容已被发布者删除</div>
    </div>
    <div class="weui-msg__extra-area"><div class="weui-footer"><p class="weui-footer__links">
        <a class="weui-footer__link" href="https://mp.weixin.qq.com/webpoc/ruleCenter?type=oa">微信公众平台运营中心</a>
    </p></div></div>
</div>
</body></html>
"""
UNAVAILABLE = """<!DOCTYPE html>
<html>
<head>
    <meta http-equiv="content-type" content="text/html;charset=utf8">
    <title>该内容暂时无法查看</title>
</head>
<body>
<div class="panel">
    <div class="mesg-block">
        <p>该内容暂时无法查看</p>
    </div>
</div>
</body>
</html>
"""
ANTISPIDER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>搜狗搜索</title></head><body>
<div class="content-box"><p class="p2">用户您好，我们的系统检测到您网络中存在异常访问请求。</p>
<form name="authform" method="POST" id="seccodeForm" action="/"><img id="seccodeImage" src="util/seccode.php">
<input type="text" id="seccodeInput" name="c"></form></div></body></html>
"""


def link(sig: str) -> str:
    return f"http://mp.weixin.qq.com/s?src=3&amp;timestamp=1500052504&amp;ver=1&amp;signature={sig}"


def item(i: int, a: tuple, kw: str) -> str:
    sig, account, _, title, minutes, _, paras = a
    hl = escape(title).replace(kw, f"<em><!--red_beg-->{kw}<!--red_end--></em>")
    summary = escape(((paras if isinstance(paras, list) else None) or [title])[0][:60]) + "..."
    return ITEM.format(i=i, sig=sig, link=link(sig), title=hl, summary=summary, minutes=minutes, account=account)


def article(k: int, a: tuple) -> str:
    sig, account, gh, title, minutes, year, paras = a
    body = "\n".join(f"<p>{escape(p)}</p>\n<p><br  /></p>" for p in paras)
    page = ARTICLE_2018 if year == 2018 else ARTICLE_2025
    return page.format(title=escape(title), account=account, gh=gh, minutes=minutes, body=body, sig=sig,
                       biz=f"MzA{k}ODUzNjAxOA==", mid=2247490000 + k)


def build(write) -> None:
    xinghe = [a for a in ARTICLES if a[0].startswith("XH")]
    items = [item(i, a, "星河手机") for i, a in enumerate(xinghe)]
    write("weixin.sogou.com/search/星河手机/1.html", SEARCH.format(
        kw="星河手机", items="".join(items[:3]), total=len(items), pager=NEXT.format(kw="星河手机", page=1, nxt=2)))
    write("weixin.sogou.com/search/星河手机/2.html", SEARCH.format(kw="星河手机", items="".join(items[3:]),
                                                              total=len(items), pager="<span>2</span>"))
    qinghe = [a for a in ARTICLES if a[0].startswith("QH")]
    write("weixin.sogou.com/search/青禾奶茶/1.html", SEARCH.format(
        kw="青禾奶茶", items="".join(item(i, a, "青禾奶茶") for i, a in enumerate(qinghe)), total=1, pager=""))
    write("weixin.sogou.com/search/星河Pro/1.html", ANTISPIDER)  # Sogou's answer to too many queries
    write("weixin.sogou.com/search/_default.html", SEARCH.format(
        kw="", items="", total=0, pager='<div class="no-sosuo" id="noresult_part1_container">暂无与此相关的内容</div>'))
    for k, a in enumerate(ARTICLES):
        sig, paras = a[0], a[6]
        body = DELETED if paras is None else UNAVAILABLE if paras == "unavailable" else article(k, a)
        write(f"mp.weixin.qq.com/s/{sig}.html", body)
