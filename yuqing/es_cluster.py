"""A loopback cluster of several local nodes (`yuqing es up --nodes 3`), for tests and trials.

Every member is a `LocalNode` of the same unpacked distribution, with its own folder (config,
data, logs) under `$YUQING_HOME/es/cluster-<port>/node-<port+i>/`, HTTP on `cluster_port + i`,
transport 100 above it, every member's transport address as `discovery.seed_hosts`, and a
cluster name of its own (`yuqing-cluster-<port>`), so it can never join the single node of
`yuqing es up`. `cluster.initial_master_nodes` is written only until the cluster has formed:
a `formed.json` in the cluster folder records that (and the member count the voting
configuration was built from), after which every start leaves the setting out, as
Elasticsearch's docs require.
"""
from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

from yuqing.config import ElasticsearchConfig
from yuqing.es_local import LocalNode, Membership, NodeError, wait_ready


class LocalCluster:
    def __init__(self, es: ElasticsearchConfig, home: Path, nodes: int | None = None):
        """`nodes`: how many to start; for stop/status/logs, None means as many as it was formed with."""
        self.base = es.local.cluster_port
        self.name = f"yuqing-cluster-{self.base}"
        self.root = home / "es" / f"cluster-{self.base}"
        self.marker = self.root / "formed.json"
        formed = (self.formed() or {}).get("nodes") or 0
        self.size = nodes or formed or 3
        if self.size < 2:
            raise NodeError("a cluster needs 2 nodes or more (3 survive losing one); "
                            "`yuqing es up` without --nodes runs the single node")
        ports = [self.base + i for i in range(max(self.size, formed))]
        self.membership = Membership(name=self.name, root=self.root, seeds=[f"127.0.0.1:{p + 100}" for p in ports])
        self.nodes = [LocalNode(es, home, port=p, cluster=self.membership) for p in ports]

    @property
    def hosts(self) -> list[str]:
        """The URLs to list in `elasticsearch.hosts`: the client fails over between them."""
        return [n.url for n in self.nodes]

    def formed(self) -> dict | None:
        try:
            return json.loads(self.marker.read_text())
        except (OSError, ValueError):
            return None

    def health(self) -> dict | None:
        """Cluster health from the first member that answers."""
        for n in self.nodes:
            h = n.health()
            if h:
                return h
        return None

    def master(self) -> LocalNode | None:
        """The member elected master, as the cluster reports it."""
        for n in self.nodes:
            try:
                with urllib.request.urlopen(f"{n.url}/_cat/master?format=json", timeout=2) as r:
                    name = json.loads(r.read())[0]["node"]
            except Exception:
                continue
            return next((m for m in self.nodes if m.name == name), None)
        return None

    # -- up / down ----------------------------------------------------------------------
    def prepare(self) -> None:
        """Decide what the members' next start writes: initial masters only if never formed."""
        formed = self.formed()
        if formed and formed.get("nodes") != self.size:
            raise NodeError(f"the cluster in {self.root} was formed with {formed.get('nodes')} nodes: start it with "
                            f"--nodes {formed.get('nodes')}, or stop it and delete that folder to form a new one")
        self.membership.initial_masters = [] if formed else [n.name for n in self.nodes]

    def up(self, echo=print, wait: float = 180) -> str:
        self.prepare()
        h = self.health()
        if self._complete(h):
            return f"already running: {self.size} nodes on {', '.join(self.hosts)} ({h['status']})"
        # Members started together: each waits for the others to elect a master.
        started = [(n, n.start(echo)) for n in self.nodes if not n.health() and not n.pid()]
        t0 = time.monotonic()

        def ready() -> str | None:
            h = self.health()
            if not self._complete(h):
                return None
            self.root.mkdir(parents=True, exist_ok=True)
            self.marker.write_text(json.dumps({"nodes": self.size, "cluster": self.name}))
            return (f"cluster {self.name}: {self.size} nodes on {', '.join(self.hosts)} ({h['status']}) "
                    f"in {time.monotonic() - t0:.0f}s")

        return wait_ready(started, ready, wait)

    def _complete(self, h: dict | None) -> bool:
        return bool(h) and h.get("status") in ("green", "yellow") and h.get("number_of_nodes") == self.size

    def down(self, wait: float = 60) -> str:
        """Stop every member (SIGTERM to all first, so they shut down together)."""
        pids = {n: n.pid() for n in self.nodes}
        for pid in pids.values():
            if pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        said = []
        for n, pid in pids.items():
            if pid:
                n.down(wait)  # waits for the exit (SIGKILL after `wait`)
                n.pidfile.unlink(missing_ok=True)
            said.append(f"{n.url} {f'stopped (pid {pid})' if pid else 'not running'}")
        return "; ".join(said)

    def status_lines(self) -> list[str]:
        """One line per member: its URL, whether it answers, its pid, and which one is master."""
        master = self.master()
        lines = []
        for n in self.nodes:
            up = n.health(timeout=2) is not None
            role = "  master" if master is n else ""
            pid = n.pid()
            lines.append(f"{n.url}  {'up' if up else 'down'}{role}" + (f"  pid {pid}" if pid else ""))
        return lines
