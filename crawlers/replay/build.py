"""Regenerate the replay fixtures under crawlers/replay/data: `python -m crawlers.replay.build`.

The files are committed; this script is how they were made, so a change to the demo story is a
change here and not hand edits across forty JSON files. Output is deterministic.
"""
from __future__ import annotations

import json
import shutil

from crawlers.replay import (fx_bilibili, fx_douyin, fx_generic, fx_jd, fx_kuaishou, fx_news, fx_tieba, fx_wechat,
                             fx_weibo, fx_weibo_story, fx_xiaohongshu)
from crawlers.replay.server import DATA

FIXTURES = (fx_weibo_story, fx_weibo, fx_bilibili, fx_news, fx_jd, fx_tieba, fx_generic, fx_wechat, fx_xiaohongshu,
            fx_douyin, fx_kuaishou)


def write(rel: str, body) -> None:
    p = DATA / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, indent=1)
    p.write_text(text, encoding="utf-8")


def main() -> None:
    if DATA.exists():
        shutil.rmtree(DATA)
    for fx in FIXTURES:
        fx.build(write)
    print(f"wrote {sum(1 for p in DATA.rglob('*') if p.is_file())} files under {DATA}")


if __name__ == "__main__":
    main()
