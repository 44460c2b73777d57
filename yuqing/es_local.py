"""Download, configure, start and stop the single local Elasticsearch node.

The node is Elastic's `integ-test-zip` distribution from Maven Central: the server core only (no
`GET /`, painless, reindex or ILM), which is everything yuqing needs. It refuses to run as root,
so when we are root it runs as a dedicated system user. Everything lives under
`$YUQING_HOME/es/`, so a fresh clone reuses the download and the data.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from yuqing.config import ElasticsearchConfig

GROUP = "org.elasticsearch.distribution.integ-test-zip"
ARTIFACT = "elasticsearch"


class NodeError(Exception):
    """A one-line, actionable reason why the local node cannot be fetched or started."""


@dataclass
class Membership:
    """What a node of a local multi-node cluster (es_cluster.py) writes into its config."""

    name: str  # cluster.name
    root: Path  # the folder holding the members' node-<port> folders
    seeds: list[str]  # every member's transport address (discovery.seed_hosts)
    # cluster.initial_master_nodes: the members' names on the very first start only; once the
    # cluster has formed it must go (Elasticsearch warns, and a wiped node could bootstrap anew).
    initial_masters: list[str] = field(default_factory=list)


class LocalNode:
    def __init__(self, es: ElasticsearchConfig, home: Path, port: int | None = None,
                 cluster: Membership | None = None):
        self.yuqing_home = home  # $YUQING_HOME: the Maven repository and every node's folder live here
        self.local = es.local
        self.version = self.local.version
        self.root = home / "es"
        # The unpacked distribution is shared and read-only; each node (one per port) has its
        # own config, data and logs, so tests can run a second, disposable node beside it.
        self.home = self.root / f"elasticsearch-{self.version}"
        self.port = port or self.local.port
        self.transport_port = self.port + 100
        self.cluster = cluster
        self.cluster_name = cluster.name if cluster else f"yuqing-local-{self.port}"
        self.name = f"yuqing-node-{self.port}"
        self.node_dir = (cluster.root if cluster else self.root) / f"node-{self.port}"
        self.conf = self.node_dir / "config"
        self.data = self.node_dir / "data"
        self.logs = self.node_dir / "logs"
        self.tmp = self.node_dir / "tmp"
        self.pidfile = self.node_dir / "node.pid"
        self.url = f"http://127.0.0.1:{self.port}"

    # -- fetch --------------------------------------------------------------------------
    def zip_path(self) -> Path:
        return (self.yuqing_home / "m2" / GROUP.replace(".", "/") / ARTIFACT / self.version
                / f"{ARTIFACT}-{self.version}.zip")

    def fetch(self, echo=print) -> Path:
        """Download (once) and unpack (once) the distribution; returns the ES home."""
        if (self.home / "bin" / "elasticsearch").exists():
            return self.home
        if not shutil.which("mvn"):
            raise NodeError("mvn not found: install Maven (apt-get install -y maven) to download Elasticsearch")
        if not shutil.which("unzip"):
            raise NodeError("unzip not found: install it (apt-get install -y unzip)")
        z = self.zip_path()
        if not z.exists():
            echo(f"downloading Elasticsearch {self.version} ({GROUP}:{ARTIFACT}:zip) from Maven Central ...")
            cmd = ["mvn", "-q", "-B", "dependency:get", f"-Dartifact={GROUP}:{ARTIFACT}:{self.version}:zip",
                   "-Dtransitive=false", f"-Dmaven.repo.local={self.yuqing_home / 'm2'}"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0 or not z.exists():
                tail = (r.stdout + r.stderr).strip().splitlines()[-3:]
                raise NodeError(f"download of Elasticsearch {self.version} failed: {' | '.join(tail) or 'no output'}")
        echo(f"unpacking {z.name} ...")
        staging = self.root / f".unpack-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        # unzip keeps the exec bits on bin/*; Python's zipfile would drop them.
        r = subprocess.run(["unzip", "-q", str(z), "-d", str(staging)], capture_output=True, text=True)
        if r.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise NodeError(f"unzip of {z} failed: {r.stderr.strip()[-200:]}")
        inner = next(staging.iterdir())
        inner.rename(self.home)
        shutil.rmtree(staging, ignore_errors=True)
        return self.home

    # -- java ---------------------------------------------------------------------------
    def java_home(self) -> str:
        major_needed = 17 if self.version.startswith("8.") else 21
        if self.local.java_home:  # an explicit setting that is wrong is an error, not a hint
            if _java_major(self.local.java_home) >= major_needed:
                return self.local.java_home
            raise NodeError(f"no Java {major_needed}+ found at elasticsearch.local.java_home "
                            f"({self.local.java_home}); fix the path or remove the key")
        candidates = [os.environ.get("ES_JAVA_HOME"), os.environ.get("JAVA_HOME"),
                      "/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-arm64"]
        java = shutil.which("java")
        if java:
            candidates.append(str(Path(os.path.realpath(java)).parent.parent))
        for c in candidates:
            if c and (Path(c) / "bin" / "java").exists() and _java_major(c) >= major_needed:
                return c
        raise NodeError(f"no Java {major_needed}+ found: install one (apt-get install -y openjdk-17-jre-headless) "
                        "or set elasticsearch.local.java_home")

    # -- state --------------------------------------------------------------------------
    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def health(self, timeout: float = 2.0) -> dict | None:
        """`_cluster/health` of whatever answers on our port (the server core has no `GET /`)."""
        try:
            with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=timeout) as r:
                return json.loads(r.read())
        except Exception:
            return None

    def version_running(self) -> str | None:
        try:
            with urllib.request.urlopen(f"{self.url}/_nodes/_local/_none", timeout=2) as r:
                nodes = json.loads(r.read())["nodes"]
            return next(iter(nodes.values()))["version"]
        except Exception:
            return None

    def port_busy(self) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    # -- up / down ----------------------------------------------------------------------
    def up(self, echo=print, wait: float = 120) -> str:
        h = self.health()
        if h and h.get("status") in ("green", "yellow"):
            return f"already running on {self.url} ({h['status']})"
        proc = self.start(echo)
        t0 = time.monotonic()

        def ready() -> str | None:
            h = self.health()
            if h and h.get("status") in ("green", "yellow"):
                return f"started on {self.url} ({h['status']}) in {time.monotonic() - t0:.0f}s"
            return None

        return wait_ready([(self, proc)], ready, wait)

    def start(self, echo=print) -> subprocess.Popen:
        """Spawn the node (config written afresh) without waiting for it to answer."""
        if self.port_busy() and not self.pid():
            raise NodeError(f"port {self.port} on 127.0.0.1 is in use by another program; "
                            "stop it or set elasticsearch.local.port (and elasticsearch.hosts)")
        java = self.java_home()
        self.fetch(echo)
        for d in (self.data, self.logs, self.tmp):
            d.mkdir(parents=True, exist_ok=True)
        if not (self.conf / "jvm.options").exists():
            shutil.copytree(self.home / "config", self.conf, dirs_exist_ok=True)
        self._write_config()
        user = self._run_as()
        env = {"PATH": "/usr/bin:/bin", "ES_JAVA_HOME": java, "ES_TMPDIR": str(self.tmp), "LANG": "C.UTF-8",
               "ES_JAVA_OPTS": f"-Xms{self.local.heap} -Xmx{self.local.heap}", "HOME": str(self.node_dir),
               "ES_PATH_CONF": str(self.conf)}
        out = open(self.logs / "console.log", "ab")
        # group and extra_groups too: keeping root's groups would apply /root's group bits.
        kw: dict = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}
        proc = subprocess.Popen([str(self.home / "bin" / "elasticsearch")], env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                cwd=str(self.node_dir), **kw)
        self.pidfile.write_text(str(proc.pid))
        echo(f"starting Elasticsearch {self.version} on {self.url} (heap {self.local.heap}, pid {proc.pid}) ...")
        return proc

    def down(self, wait: float = 60) -> str:
        pid = self.pid()
        if not pid:
            return "not running"
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            _reap(pid)
            time.sleep(0.5)
        else:
            os.kill(pid, signal.SIGKILL)
        self.pidfile.unlink(missing_ok=True)
        return f"stopped (pid {pid})"

    def kill(self) -> int | None:
        """SIGKILL the node's whole process group (the launcher and the server JVM it spawned):
        a crash, for tests and trials of a cluster losing a member. Returns the pid killed."""
        pid = self.pid()
        if not pid:
            return None
        try:
            os.killpg(pid, signal.SIGKILL)  # started with start_new_session: the group id is the pid
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.port_busy():
            _reap(pid)
            time.sleep(0.2)
        _reap(pid)
        self.pidfile.unlink(missing_ok=True)
        return pid

    def log_tail(self, n: int = 20) -> list[str]:
        lines: list[str] = []
        for name in (f"{self.cluster_name}.log", "console.log"):
            f = self.logs / name
            if f.exists():
                lines = f.read_text(errors="replace").splitlines()
                if lines:
                    break
        interesting = [line for line in lines if "ERROR" in line or "Exception" in line or "error" in line]
        return (interesting or lines)[-n:]

    # -- helpers ------------------------------------------------------------------------
    def _write_config(self) -> None:
        if self.cluster is None:
            discovery = "discovery.type: single-node\n"
        else:
            discovery = f"discovery.seed_hosts: {json.dumps(self.cluster.seeds)}\n"
            if self.cluster.initial_masters:
                discovery += f"cluster.initial_master_nodes: {json.dumps(self.cluster.initial_masters)}\n"
        conf = f"""# written by `yuqing es up`; edit config.yaml instead
cluster.name: {self.cluster_name}
node.name: {self.name}
path.data: {self.data}
path.logs: {self.logs}
network.host: 127.0.0.1
http.port: {self.port}
transport.port: {self.transport_port}
{discovery}xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
"""
        (self.conf / "elasticsearch.yml").write_text(conf)

    def _run_as(self) -> str | None:
        """ES refuses root: create (once) and use a system user owning the node's files."""
        if os.geteuid() != 0:
            return None
        name = self.local.user
        try:
            pwd.getpwnam(name)
        except KeyError:
            r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise NodeError(f"cannot create system user {name!r} for Elasticsearch: {r.stderr.strip()}")
        uid, gid = pwd.getpwnam(name).pw_uid, pwd.getpwnam(name).pw_gid
        for dirpath, dirnames, filenames in os.walk(self.node_dir):
            os.chown(dirpath, uid, gid)
            for f in filenames:
                os.lchown(os.path.join(dirpath, f), uid, gid)
        # The user must be able to reach $YUQING_HOME (e.g. under /root, mode 700), and the
        # distribution wherever it really is (a linked, shared one): grant traverse-only (o+x) on
        # the ancestors, never read.
        for p in (self.node_dir, self.home.resolve()):
            while p != p.parent:
                p = p.parent
                mode = p.stat().st_mode
                if not mode & stat.S_IXOTH:
                    os.chmod(p, mode | stat.S_IXOTH)
        return name


def wait_ready(started: list[tuple[LocalNode, subprocess.Popen]], ready: Callable[[], str | None],
               wait: float) -> str:
    """Poll `ready` until it returns a message; a started node that exits, or the deadline, is a NodeError."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for node, proc in started:
            if proc.poll() is not None:
                node.pidfile.unlink(missing_ok=True)
                where = f" on {node.url}" if len(started) > 1 else ""
                raise NodeError(f"Elasticsearch{where} exited with code {proc.returncode}: "
                                f"{' | '.join(node.log_tail(5))}")
        msg = ready()
        if msg:
            return msg
        time.sleep(1)
    tail = started[0][0].log_tail(5) if started else []
    raise NodeError(f"Elasticsearch did not become ready within {wait:.0f}s: {' | '.join(tail)}")


def _java_major(java_home: str) -> int:
    try:
        r = subprocess.run([str(Path(java_home) / "bin" / "java"), "-version"], capture_output=True, text=True, timeout=20)
    except Exception:
        return 0
    import re

    m = re.search(r'version "(\d+)', r.stderr + r.stdout)
    return int(m.group(1)) if m else 0


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
