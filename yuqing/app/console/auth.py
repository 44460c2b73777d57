"""Who is asking: accounts from `console.users` (argon2 hashes), a signed HttpOnly session
cookie, three roles, and the login page whose failures are counted per client address.

Roles are ranked: a viewer reads; a responder also works incidents (ack, assign, note, respond,
resolve); an admin also reads the audit log. The role is looked up in the config on every
request, so removing a user or lowering a role takes effect at once, not at the next login.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, redirect, render_template, request, session, url_for

RANK = {"viewer": 0, "responder": 1, "admin": 2}
ROLE_ZH = {"viewer": "只读", "responder": "处置人员", "admin": "管理员"}
_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


class Users:
    def __init__(self, users):
        self._by_name = {u.name: u for u in users}

    def get(self, name: str | None) -> User | None:
        u = self._by_name.get(name or "")
        return User(u.name, u.role) if u else None

    def verify(self, name: str, password: str) -> User | None:
        u = self._by_name.get(name)
        try:
            _hasher.verify(u.password_hash if u else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(u.name, u.role) if u else None


def current_user() -> User | None:
    if "user" not in g:
        g.user = current_app.extensions["yuqing.users"].get(session.get("user"))
    return g.user


def audit(action: str, target: str = "", ok: bool = True, detail: str = "", who: str | None = None) -> None:
    """One audit entry for this request (the app's store and clock)."""
    user = current_user()
    who = who or (user.name if user else f"anonymous@{request.remote_addr}")
    current_app.extensions["yuqing.audit"](who, action, target, ok, detail)


def require(role: str):
    """A page or an action for `role` and above: others are sent to log in (no session) or
    refused with 403 (logged in, role too low), and the refusal is audited."""

    def deco(view):
        @functools.wraps(view)
        def wrapper(*a, **kw):
            user = current_user()
            if user is None:
                if request.method != "GET":
                    audit(view.__name__, request.path, ok=False, detail="not logged in")
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not user.can(role):
                audit(view.__name__, request.path, ok=False, detail=f"role {user.role} may not (needs {role})")
                abort(403)
            return view(*a, **kw)

        return wrapper

    return deco


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("pages.overview")


def login():
    """GET: the form. POST: a wrong name or password answers 401 (and counts toward the limit);
    a right one starts a fresh session."""
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    name = request.form.get("username", "").strip()
    user = current_app.extensions["yuqing.users"].verify(name, request.form.get("password", ""))
    if user is None:
        audit("login", name, ok=False, detail="wrong name or password", who=name or "-")
        return render_template("login.html", next=request.form.get("next", ""), error="用户名或密码错误"), 401
    audit("login", user.name, detail=f"role {user.role}", who=user.name)  # first: no audit entry, no session
    session.clear()  # no fixation: nothing from before the login survives
    session["user"] = user.name
    session.permanent = True
    g.user = user
    return redirect(_safe_next(request.form.get("next")))


def logout():
    user = current_user()
    if user:
        audit("logout", user.name)
    session.clear()
    return redirect(url_for("auth.login"))
