"""`sources.defaults.backend: redis`: `yuqing crawl` workers on several machines share one crawl.

scrapy-redis does the sharing that matters most and is easy to get wrong: its Scheduler keeps the
request queue in a Redis sorted set and its RFPDupeFilter the fingerprints in a Redis set, so a
page any worker has scheduled is never scheduled again by another. This module adds what it
leaves open:

- **Who seeds.** scrapy-redis's `RedisSpider` only defines `start_requests` (reading start URLs from
  a Redis list); Scrapy 2.13 calls `async def start()` instead, and our spiders' first requests
  come from their own `start()` (topics, feeds, pending completions). So a worker joins a *run*
  (`Run.join`, one Lua script): the first one, finding no run, creates it and seeds; the others
  wait until the run says it is seeded and then only consume the shared queue.
- **When a run ends.** A worker whose own engine is idle stays open while any other worker holds a
  request (popping marks the worker busy in the same Lua script, with a deadline, so a worker that
  died stops counting) or the queue is not empty. The last one to finish deletes the run's queue,
  dupefilter and snapshot, so the next scheduled crawl starts afresh; a run stopped early keeps
  them, and the next worker to start resumes it (as JOBDIR does for one process).
- **Checkpoints and pending completions** (crawlers/checkpoints.py, crawlers/pending.py) are the
  same JSON as the files, kept in Redis (`RedisState`) and merged in a WATCH/MULTI transaction,
  so they still only move forward. A run reads the snapshot its seeder took, so a worker joining
  late judges "already seen" exactly as the first one did.

Times in the scripts are Redis's own (`TIME`): the workers' clocks may disagree.
"""
from __future__ import annotations

import json
import os
import socket
import uuid
from typing import TYPE_CHECKING, Callable

import redis
from scrapy_redis.queue import PriorityQueue

if TYPE_CHECKING:  # the root config is the shell's; this stage only reads its sections
    from yuqing.app.config import Config

_JOIN = """
local t = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', t)
local seeder = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[5], KEYS[6])
  for i, live in ipairs({KEYS[7], KEYS[8]}) do
    local v = redis.call('GET', live)
    if v then redis.call('SET', KEYS[4 + i], v) end
  end
  redis.call('HSET', KEYS[1], 'id', ARGV[3], 'seeded', '0', 'seeder', ARGV[1])
  seeder = 1
elseif redis.call('HGET', KEYS[1], 'seeded') == '0' and redis.call('ZCARD', KEYS[4]) == 0 then
  redis.call('HSET', KEYS[1], 'seeder', ARGV[1])  -- its seeder died before seeding
  seeder = 1
end
redis.call('HINCRBY', KEYS[1], 'joined', 1)
redis.call('ZADD', KEYS[4], t + tonumber(ARGV[2]), ARGV[1])
return seeder
"""
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('ZADD', KEYS[2], tonumber(redis.call('TIME')[1]) + tonumber(ARGV[2]), ARGV[1])
return r[1]
"""
_IDLE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(redis.call('TIME')[1]))
local left = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if left == 0 and ARGV[2] == '1' then redis.call('DEL', unpack(KEYS)) end
return left
"""


class RedisUnavailable(RuntimeError):
    pass


def connect(url: str) -> redis.Redis:
    r = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30, socket_connect_timeout=10)
    try:
        r.ping()
    except redis.RedisError as e:
        raise RedisUnavailable(f"sources.defaults.redis_url: cannot reach Redis at {url} ({e}); start "
                               "redis-server there or fix the URL (or set sources.defaults.backend: local)") from e
    return r


def keys(cfg: Config, spider: str) -> dict[str, str]:
    base = f"yuqing:{cfg.elasticsearch.index_prefix}"
    return {"run": f"{base}:{spider}:run", "queue": f"{base}:{spider}:requests",
            "dupefilter": f"{base}:{spider}:dupefilter", "workers": f"{base}:{spider}:workers",
            "run_checkpoints": f"{base}:{spider}:run:checkpoints", "run_pending": f"{base}:{spider}:run:pending",
            "checkpoints": f"{base}:checkpoints", "pending": f"{base}:pending"}


def scrapy_settings(cfg: Config, spider: str) -> dict:
    """Scrapy settings for one spider in redis mode (crawlers/settings.py adds them, and no JOBDIR)."""
    k = keys(cfg, spider)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "crawlers.redis_crawl.Queue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the run, not one worker's close, decides when the queue goes
        "SCHEDULER_QUEUE_KEY": k["queue"],
        "SCHEDULER_DUPEFILTER_KEY": k["dupefilter"],
        "REDIS_URL": cfg.sources.defaults.redis_url,
    }


class RedisState:
    """crawlers.statefile.State in Redis: reads `read_key` (a run's snapshot, or the live key),
    merges into `key` in a WATCH/MULTI transaction, retried when another worker wrote between."""

    def __init__(self, r: redis.Redis, key: str, read_key: str | None = None):
        self.r, self.key, self.read_key = r, key, read_key or key

    @staticmethod
    def _parse(raw: str | None) -> dict | None:
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def read(self) -> dict:
        raw = self.r.get(self.read_key)
        data = self._parse(raw)
        if data is None:  # set aside for a person, as the file version does; costs one fuller crawl
            self.r.set(f"{self.read_key}:damaged", raw)
            self.r.delete(self.read_key)
            return {}
        return data

    def update(self, change: Callable[[dict], None]) -> dict:
        def tx(pipe) -> dict:
            raw = pipe.get(self.key)
            current = self._parse(raw)
            pipe.multi()
            if current is None:
                pipe.set(f"{self.key}:damaged", raw)
                current = {}
            change(current)
            pipe.set(self.key, json.dumps(current, ensure_ascii=False, sort_keys=True))
            return current

        return self.r.transaction(tx, self.key, value_from_callable=True)


class Run:
    """One spider's share of a crawl that several workers run together (see the module doc)."""

    def __init__(self, cfg: Config, spider: str):
        self.r = connect(cfg.sources.defaults.redis_url or "")
        self.keys = keys(cfg, spider)
        # A worker holding a request counts as busy until then: a download and its retries fit.
        p = cfg.sources.politeness(spider)
        self.ttl = int(max(120, 3 * p.timeout * (p.retries + 1)))
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.seeder = False
        self._idle = self.r.register_script(_IDLE)

    def join(self) -> bool:
        """Enter the spider's current run, or start one; True when this worker is to seed it. The
        run's hash counts the workers that entered it (`joined`), for a person or a test to read."""
        k = self.keys
        script = self.r.register_script(_JOIN)
        self.seeder = bool(script(keys=[k["run"], k["queue"], k["dupefilter"], k["workers"], k["run_checkpoints"],
                                        k["run_pending"], k["checkpoints"], k["pending"]],
                                  args=[self.worker, self.ttl, uuid.uuid4().hex]))
        return self.seeder

    def state(self, name: str) -> RedisState:
        """The checkpoints or pending completions, read from this run's snapshot."""
        return RedisState(self.r, self.keys[name], self.keys[f"run_{name}"])

    def mark_seeded(self) -> None:
        self.r.hset(self.keys["run"], "seeded", "1")

    def seeded(self) -> bool:
        return self.r.hget(self.keys["run"], "seeded") != "0"  # gone (None) counts: nothing to wait for

    def others_busy(self) -> bool:
        """Called when this worker's engine is idle: is any other worker still holding a request, or
        is anything queued? This worker stops counting as busy."""
        return self._left(end=False) > 0

    def leave(self, reason: str) -> None:
        """A finished worker that was the last one ends the run (its queue, dupefilter, snapshot);
        a worker stopped early leaves them for the one that resumes."""
        self._left(end=reason == "finished")

    def _left(self, end: bool) -> int:
        k = self.keys
        names = ["workers", "queue", "run", "dupefilter", "run_checkpoints", "run_pending"]
        return int(self._idle(keys=[k[n] for n in names], args=[self.worker, "1" if end else "0"]))


class Queue(PriorityQueue):
    """scrapy-redis's priority queue; a pop also marks this worker busy, in the same script, so no
    other worker ends the run between taking a request and its response."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self._pop = server.register_script(_POP)

    def pop(self, timeout=0):
        run: Run = self.spider.run
        data = self._pop(keys=[self.key, run.keys["workers"]], args=[run.worker, run.ttl])
        return self._decode_request(data) if data else None
