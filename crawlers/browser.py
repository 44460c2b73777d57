"""The browser path: Scrapy settings for scrapy-playwright with Debian's Chromium, and the capture
of the JSON a platform's own page receives.

Xiaohongshu, Douyin and Kuaishou sign their web API calls in page JavaScript (`x-s`/`x-t`,
`a_bogus`, `__NS_hxfalcon`) and change the signing often. Re-implementing it is a race; letting
the real page make its calls and reading the responses it gets (MediaCrawler's CDP mode does the
same) keeps working as long as the page does. scrapy-playwright puts the page under Scrapy's
scheduler, so concurrency, delays, retries, stats, JOBDIR and the pipeline stay Scrapy's.

No browser is downloaded: `executable_path` points at the system Chromium (`apt-get install
chromium`); `unavailable()` says so in words when it is missing.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome")
INSTALL = "install chromium: apt-get install -y chromium"


def find_chromium(configured: str | None = None) -> str | None:
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


def unavailable(source) -> str | None:
    """None when a browser spider can run; else the reason, e.g. "not available: install chromium"."""
    try:
        import scrapy_playwright  # noqa: F401
    except ImportError:
        return "not available: scrapy-playwright is not installed (pip install -r requirements.txt)"
    if find_chromium(source.chromium) is None:
        where = f" ({source.chromium!r} not found)" if source.chromium else ""
        return f"not available: {INSTALL}{where}"
    return None


def context_options(source, name: str, user_agent: str) -> dict:
    """Options of the browser context of account NAME (one context per account)."""
    opts: dict = {"user_agent": user_agent, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
                  "viewport": {"width": 1366, "height": 900}}
    for i, acct in enumerate(source.accounts):
        if acct.name != name:
            continue
        key = f"sources.<platform>.accounts.{i}.storage_state"
        path = Path(acct.storage_state).expanduser()
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{key}: {path} does not exist; export it from your logged-in browser "
                             "(Playwright: context.storage_state(path=...))") from None
        except ValueError as e:
            raise ValueError(f"{key}: {path} is not JSON ({e})") from None
        if not isinstance(state, dict) or "cookies" not in state:
            raise ValueError(f"{key}: {path} is not a storage_state export (no \"cookies\" list)")
        opts["storage_state"] = str(path)
    return opts


def account_names(source) -> list[str]:
    return [a.name for a in source.accounts] or ["anonymous"]


def settings(source, politeness, zero_delay: bool) -> dict:
    """The scrapy-playwright part of a browser spider's Scrapy settings."""
    chromium = find_chromium(source.chromium)
    contexts, problem = {}, None
    for name in account_names(source):
        try:
            contexts[name] = context_options(source, name, politeness.user_agent)
        except ValueError as e:  # reported by the spider at start, so other spiders still crawl
            problem = problem or str(e)
    pages = 4 if zero_delay else politeness.concurrency_per_domain  # the replay site is ours and local
    return {
        "DOWNLOAD_HANDLERS": {"http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
                              "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": chromium, "headless": source.headless,
                                      "args": ["--disable-blink-features=AutomationControlled", "--no-sandbox",
                                               "--disable-dev-shm-usage", "--disable-gpu", "--disable-extensions",
                                               "--disable-background-networking", "--disable-component-update",
                                               "--no-first-run", "--mute-audio"]},
        "PLAYWRIGHT_CONTEXTS": contexts,
        "PLAYWRIGHT_MAX_CONTEXTS": max(1, len(contexts)),
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": pages,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": int(politeness.timeout * 1000),
        # The page's own headers (its cookies from storage_state, its signatures) go out untouched;
        # Scrapy's would replace them on navigation.
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": None,
        "PLAYWRIGHT_ABORT_REQUEST": "crawlers.browser.abort_heavy",
        "CONCURRENT_REQUESTS_PER_DOMAIN": pages,
        "YUQING_BROWSER_PROBLEM": problem,
    }


def abort_heavy(request) -> bool:
    """Images, media and fonts are not needed to read JSON: skip them (faster, less memory)."""
    return request.resource_type in ("image", "media", "font")


async def capture(page, request) -> None:
    """`playwright_page_init_callback`: before navigation, record every fetch/XHR response the
    page receives (URL, status, request body); the spider reads the bodies it needs."""
    page.yq_captured = []

    def on_response(response) -> None:
        if response.request.resource_type in ("fetch", "xhr"):
            page.yq_captured.append(response)

    page.on("response", on_response)


def not_available(cfg, spiders: list[str]) -> dict[str, str]:
    """{spider: "not available: install chromium …"} for the browser spiders among SPIDERS that
    cannot run here, so a caller (the demo) can say so and crawl the rest."""
    from crawlers.config import BrowserSource

    out = {}
    for name in spiders:
        src = cfg.sources.source(name)
        reason = isinstance(src, BrowserSource) and unavailable(src)
        if reason:
            out[name] = reason
    return out
