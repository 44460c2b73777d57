"""Serving the console with waitress (a production WSGI server, pure Python, threads)."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from waitress import create_server


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def build(cfg, clock=utc_now):
    """The app over the configured store (the shell's wiring for `yuqing serve` and the demo)."""
    from yuqing.app.console.app import create_app
    from yuqing.store import Store

    return create_app(cfg, Store(cfg.elasticsearch), clock)


def make_server(app, host: str, port: int, threads: int = 8):
    """A bound waitress server (port 0: a free one, read back from `server.effective_port`)."""
    return create_server(app, host=host, port=port, threads=threads, ident="yuqing-console",
                         clear_untrusted_proxy_headers=True)


class Background:
    """A server running in a thread (tests, the screenshot script); `close()` stops it."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self.server = make_server(app, host, port, threads=4)
        self.url = f"http://{host}:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="console", daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop from the server's own loop (closing its sockets from here would race the select)."""

        def stop() -> None:
            for dispatcher in list(self.server._map.values()):  # the listener, open connections, the trigger
                dispatcher.close()

        self.server.trigger.pull_trigger(stop)
        self.thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
