"""`yuqing privacy erase|export --author ID`: the data subject's rights (删除权, 查阅复制权).

A person knows their raw account id, but only its pseudonym is stored; both commands recompute
the pseudonym with the same key the pipeline used. Without --platform the id is looked up on
every platform that has posts, since pseudonyms are scoped per platform.
"""
from __future__ import annotations

import json

import click

from pipelines import erasure
from pipelines.pseudonym import PseudoKeyError, Pseudonymiser, normalise_id, pseudo_key
from yuqing.app.common import config_option, console, err, fail
from yuqing.store import StoreUnavailable


@click.group("privacy")
def privacy() -> None:
    """Erase or export what is held about one author (by their platform account id)."""


def _targets(cfg, store, author: str, platforms: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(pseudonyms, platforms) for a raw author id."""
    raw = normalise_id(author)
    if not raw:
        fail("--author must not be empty", 2)
    store.refresh()  # posts ingested a moment ago must be found too, or erase would report a false zero
    if not cfg.privacy.pseudonymise:
        return [raw], list(platforms)
    try:
        p = Pseudonymiser(pseudo_key(cfg, create=False))
    except PseudoKeyError as e:
        fail(str(e), 2)
    plats = list(platforms) or erasure.platforms(store)
    return [p.author_id(pl, raw) for pl in plats], list(platforms)


def _store(cfg):
    from yuqing.store import Store

    return Store(cfg.elasticsearch)


def _unreachable(e: Exception, cfg, outcome: str = "nothing was changed") -> None:
    fail(f"{e}; {outcome}")


@privacy.command("erase")
@click.option("--author", required=True, help="the author's account id on the platform (as the platform shows it)")
@click.option("--platform", "platforms", multiple=True, help="only this platform (repeatable); default: all")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@config_option
def erase(cfg, author: str, platforms: tuple[str, ...], yes: bool) -> None:
    """Delete every stored post by one author, across all posts indices; prints the count."""
    store = _store(cfg)
    deleting = False
    try:
        ids, plats = _targets(cfg, store, author, platforms)
        hits = [(h["_index"], h["_id"]) for h in erasure.docs_by_author(store, ids, plats or None)]
        if not hits:
            console.print(f"erased 0 posts: none stored for author {author}", highlight=False)
            _spool_notice(cfg)
            return
        if not yes:
            click.confirm(f"delete {len(hits)} posts by author {author} from {len({i for i, _ in hits})} indices?",
                          abort=True, err=True)
        deleting = True
        res = erasure.delete_docs(store, hits)
        left = erasure.count_by_author(store, ids, plats or None)
    except StoreUnavailable as e:
        _unreachable(e, cfg, "some posts may be erased and some not: run the same erase again"
                     if deleting else "nothing was changed")
    for doc_id, why in res.errors[:20]:
        err.print(f"  {doc_id}: not deleted: {why}", highlight=False, markup=False)
    console.print(f"erased {res.deleted} posts by author {author}"
                  + (f" ({res.missing} were already gone)" if res.missing else "")
                  + (f"; {len(res.errors)} could not be deleted, run again" if res.errors else "")
                  + (f"; {left} arrived meanwhile, run again" if left and not res.errors else ""), highlight=False)
    _spool_notice(cfg)
    if res.errors or left:
        raise SystemExit(1)


def _spool_notice(cfg) -> None:
    """Posts spooled while Elasticsearch was down are not searchable yet; erase cannot see them."""
    from pipelines.spool import spool_for

    waiting = spool_for(cfg).backlog()
    if waiting:
        err.print(f"note: {waiting} posts wait in the spool ({spool_for(cfg).dir}); after "
                  "`yuqing ingest --retry-spool`, run this erase again", highlight=False)


@privacy.command("export")
@click.option("--author", required=True, help="the author's account id on the platform")
@click.option("--platform", "platforms", multiple=True, help="only this platform (repeatable); default: all")
@config_option
def export(cfg, author: str, platforms: tuple[str, ...]) -> None:
    """Print every stored post by one author as JSON lines (with its index and id)."""
    store = _store(cfg)
    n = 0
    try:
        ids, plats = _targets(cfg, store, author, platforms)
        for h in erasure.docs_by_author(store, ids, plats or None):
            click.echo(json.dumps({"_index": h["_index"], "_id": h["_id"], **h["_source"]}, ensure_ascii=False))
            n += 1
    except StoreUnavailable as e:
        _unreachable(e, cfg, f"the export is incomplete ({n} posts printed)")
    err.print(f"exported {n} posts by author {author}", highlight=False)
