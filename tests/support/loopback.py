"""Real receivers on 127.0.0.1 for delivery tests: an HTTP server that records every request,
and an SMTP server (aiosmtpd) with STARTTLS or implicit TLS and a login, over a throwaway
self-signed certificate. Nothing here ever talks to anything off loopback."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Answers every POST with `status` / `reply`; `stop()` and `start()` again on the same port
    model a receiver that goes down and comes back."""

    status: int = 200
    reply: bytes = b'{"errcode":0,"errmsg":"ok"}'
    requests: list[Request] = field(default_factory=list)
    port: int = 0

    def start(self) -> "HttpReceiver":
        rcv = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                u = urlsplit(self.path)
                rcv.requests.append(Request(u.path, parse_qs(u.query), dict(self.headers.items()), self.rfile.read(n)))
                self.send_response(rcv.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(rcv.reply)))
                self.end_headers()
                self.wfile.write(rcv.reply)

            def log_message(self, *a):
                pass

        self._srv = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.port = self._srv.server_address[1]
        self._t = threading.Thread(target=self._srv.serve_forever, daemon=True)
        self._t.start()
        return self

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()
        self._t.join()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(d: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and localhost), valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    crt, pem = d / "smtp.crt", d / "smtp.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


class SmtpServer:
    """aiosmtpd on loopback. mode: "starttls" (TLS required before AUTH/MAIL) or "ssl"."""

    def __init__(self, cert: Path, key: Path, mode: str, user: str, password: str, port: int = 0):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages: list[tuple[list[str], object]] = []
        self.logins: list[str] = []
        srv = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                srv.messages.append((list(envelope.rcpt_tos),
                                     message_from_bytes(envelope.original_content, policy=policy.default)))
                return "250 OK queued"

        def auth(server, session, envelope, mechanism, data):
            ok = data.login.decode() == user and data.password.decode() == password
            if ok:
                srv.logins.append(data.login.decode())
            return AuthResult(success=ok, handled=False)

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        self.port = port or free_port()
        kw = dict(hostname="127.0.0.1", port=self.port, authenticator=auth, auth_required=True)
        if mode == "ssl":
            self.ctl = Controller(Handler(), ssl_context=ctx, auth_require_tls=False, **kw)
        else:
            self.ctl = Controller(Handler(), tls_context=ctx, require_starttls=True, **kw)
        self.ctl.start()

    def stop(self) -> None:
        self.ctl.stop()
