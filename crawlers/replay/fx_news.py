"""News replay fixtures: an RSS 2.0 feed, an Atom feed and their article pages."""
from __future__ import annotations

from html import escape

TECH = "news.example.com.cn"
CONSUMER = "www.example-consumer.cn"

ARTICLES = [  # (slug, title, minutes ago, paragraphs)
    ("2026/xinghe-heat", "多地消费者集中投诉星河手机发热、信号差 官方称将推送修复补丁", 55, [
        "近日，不少星河手机用户在社交平台反映，手机在升级最新系统后出现机身发烫、信号变差、耗电加快等问题，相关话题在微博上的讨论量明显上升。",
        "记者梳理发现，投诉主要集中在星河X5和星河Pro两款机型。有消费者表示，玩游戏二十分钟后机身温度超过五十度，还有用户称电池出现鼓包，售后却以“人为损坏”为由拒绝保修。",
        "对此，星河手机客服回应称，已关注到用户反馈，技术团队正在排查，预计一周内推送修复补丁。业内人士建议，消费者遇到电池鼓包应立即停止使用，并保留证据依法维权。",
    ]),
    ("2026/xinghe-fold", "星河手机将发布首款折叠屏 定价或超八千元", 60 * 50, [
        "据供应链消息，星河手机计划于下月发布旗下首款折叠屏手机，采用自研铰链方案，整机重量控制在二百四十克以内。",
        "分析人士认为，在高端市场竞争加剧的背景下，星河手机希望借折叠屏提升品牌形象，但能否打开市场仍有待观察。",
    ]),
    ("2026/qinghe-stores", "青禾奶茶年内新开门店三百家 低糖产品线受欢迎", 60 * 30, [
        "新茶饮品牌青禾奶茶今年以来加快扩张步伐，截至目前已新开门店三百余家，覆盖全国四十多个城市。",
        "青禾奶茶相关负责人介绍，低糖和零卡糖系列销量占比已超过三成，桂花乌龙成为年度最受欢迎单品。",
    ]),
    ("2026/chip", "国产芯片企业发布新一代低功耗处理器", 60 * 20, [
        "一家国产芯片企业今日发布新一代低功耗处理器，主打端侧人工智能推理能力。",
        "该处理器采用先进制程工艺，面向平板电脑和车载设备等多种终端。",
    ]),
    ("2026/gone", "星河手机回应“电池鼓包”：个别现象", 90, []),  # the page is gone (404)
]

PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title} - 科技快讯</title>
<meta name="author" content="本报记者 李明"><meta property="article:published_time" content="@@iso:{minutes}@@"></head>
<body><header><nav><a href="/">首页</a> | <a href="/tech">科技</a> | <a href="/finance">财经</a> | <a href="/login">登录</a></nav></header>
<main><article><h1>{title}</h1><div class="meta">来源：科技快讯　作者：李明　<time>@@cn:{minutes}@@</time></div>
{body}</article></main>
<aside><h3>热门推荐</h3><ul><li><a href="/a/1">十款手机续航横评</a></li><li><a href="/a/2">双十一数码产品选购指南</a></li></ul></aside>
<footer>Copyright &copy; 2026 科技快讯 版权所有 京ICP备00000000号</footer></body></html>
"""


def rss_item(slug, title, minutes, paras) -> str:
    desc = escape(paras[0][:60] + "……") if paras else escape(title)
    return (f"<item><title>{escape(title)}</title><link>https://{TECH}/{slug}.html</link>"
            f"<description>{desc}</description><pubDate>@@rfc822:{minutes}@@</pubDate>"
            f"<guid isPermaLink=\"false\">{TECH}-{slug}</guid><category>科技</category></item>")


def build(write) -> None:
    items = "\n".join(rss_item(*a) for a in ARTICLES)
    write(f"{TECH}/rss/tech.xml", f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>科技快讯</title><link>https://{TECH}/</link>
<description>科技快讯 - 滚动新闻</description><language>zh-cn</language><lastBuildDate>@@rfc822:50@@</lastBuildDate>
{items}
</channel></rss>
""")
    for slug, title, minutes, paras in ARTICLES:
        if not paras:
            continue
        body = "\n".join(f"<p>{escape(p)}</p>" for p in paras)
        write(f"{TECH}/{slug}.html", PAGE.format(title=escape(title), minutes=minutes, body=body))
    # an Atom feed whose first article is behind a captcha and whose second has full content inline
    write(f"{CONSUMER}/atom.xml", f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>消费观察</title><link href="https://{CONSUMER}/"/>
<updated>@@iso:100@@</updated><id>tag:{CONSUMER},2026:feed</id>
<entry><title>星河手机售后调查：维修等待期长达一个月</title><link rel="alternate" href="https://{CONSUMER}/report/881.html"/>
<id>tag:{CONSUMER},2026:881</id><published>@@iso:100@@</published><updated>@@iso:100@@</updated>
<author><name>消费观察编辑部</name></author>
<summary type="html">本刊收到多起关于星河手机售后维修周期过长的投诉，配件缺货成主因。</summary></entry>
<entry><title>青禾奶茶&amp;博物馆联名杯套一上线即售罄</title><link rel="alternate" href="https://{CONSUMER}/report/872.html"/>
<id>tag:{CONSUMER},2026:872</id><published>@@iso:{60 * 40}@@</published><updated>@@iso:{60 * 40}@@</updated>
<author><name>王晓</name></author><category term="新消费"/>
<content type="html"><![CDATA[<p>青禾奶茶与某博物馆的联名杯套昨日上线，首批五万套在两小时内售罄。</p><p>不少网友晒出收集的整套杯套，称“颜值在线”。</p>]]></content></entry>
</feed>
""")
    write(f"{CONSUMER}/report/872.html", PAGE.format(title="青禾奶茶&amp;博物馆联名杯套一上线即售罄", minutes=60 * 40, body=(
        "<p>青禾奶茶与某博物馆的联名杯套昨日上线，首批五万套在两小时内售罄。</p>"
        "<p>不少网友晒出收集的整套杯套，称“颜值在线”。也有网友吐槽抢不到，希望品牌尽快补货。</p>"
        "<p>青禾奶茶方面表示，第二批杯套将于下周在全部门店上架，每人限购两套。</p>")))
    write(f"{CONSUMER}/report/881.html", """<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全验证</title></head>
<body><div class="verify"><p>访问过于频繁，请完成安全验证</p><div id="captcha" class="slider-captcha"></div></div></body></html>
""")
