"""`create_app(cfg, store, clock)`: the console as a Flask app (pages in routes.py, templates in
dashboards/console/templates).

Security, in one place: signed session cookie (HttpOnly, SameSite=Lax, Secure with
`console.https`), a CSRF token on every form (flask-wtf), wrong passwords rate-limited per client
address (flask-limiter, only failed logins count), strict response headers, and every refusal
(403, missing CSRF token, too many attempts) written to the audit log like every action.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from flask import Flask, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

from dashboards.console import TEMPLATES, template_filters
from yuqing.app import audit as audit_log
from yuqing.app.console import auth, routes
from yuqing.app.console.settings import session_secret
from yuqing.store import StoreUnavailable

CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def create_app(cfg, store, clock: Callable[[], datetime], incidents=None) -> Flask:
    """`clock` returns the aware current time (tests and the screenshot pass a fixed one);
    `incidents` defaults to alerts.incidents.Incidents over the same store."""
    c = cfg.console
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=None)
    app.config.update(
        SECRET_KEY=session_secret(cfg.home_dir), SESSION_COOKIE_NAME="yuqing_console",
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=c.https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=c.session_hours), WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=c.https, MAX_CONTENT_LENGTH=256 * 1024)
    app.jinja_env.filters.update(template_filters(cfg.timezone))
    CSRFProtect(app)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[],
                      headers_enabled=False)
    app.extensions["yuqing.users"] = auth.Users(c.users)
    app.extensions["yuqing.audit"] = lambda who, action, target, ok, detail: audit_log.record(
        store, who, action, target, clock(), ok=ok, detail=detail)
    if incidents is None:
        from alerts.incidents import Incidents

        incidents = Incidents(store, cfg)
    app.extensions["yuqing.console"] = routes.Context(cfg=cfg, store=store, clock=clock, incidents=incidents)

    login = limiter.limit(c.login_limit, methods=["POST"], deduct_when=lambda r: r.status_code == 401)(auth.login)
    app.add_url_rule("/login", "auth.login", login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "auth.logout", auth.logout, methods=["POST"])
    app.register_blueprint(routes.pages)
    _errors(app)

    @app.after_request
    def headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"
        if resp.mimetype == "text/html":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    return app


def _errors(app: Flask) -> None:
    def page(code: int, title: str, detail: str):
        return render_template("error.html", code=code, title=title, detail=detail), code

    @app.errorhandler(CSRFError)
    def csrf_refused(e):
        auth.audit("csrf", request.path, ok=False, detail=f"{request.method} refused: {e.description}")
        return page(400, "请求被拒绝", "表单缺少有效的 CSRF 令牌，请刷新页面后重试。")

    @app.errorhandler(429)
    def too_many(e):
        auth.audit("login", request.form.get("username", ""), ok=False, detail=f"rate limited: {e.description}",
                   who=request.form.get("username") or None)
        return page(429, "尝试次数过多", "密码错误次数过多，请稍后再试。")

    @app.errorhandler(403)
    def forbidden(e):
        return page(403, "无权操作", "你的角色不能执行此操作；如需权限请联系管理员。")

    @app.errorhandler(401)
    def unauthorized(e):
        return page(401, "请先登录", "会话已过期或尚未登录。")

    @app.errorhandler(StoreUnavailable)
    def store_down(e):
        # Nothing is done without its audit entry, so a login or an action fails closed here.
        return page(503, "Elasticsearch 不可用", f"暂时无法读写数据，请稍后重试（{e}）。")

    @app.errorhandler(404)
    def not_found(e):
        return page(404, "未找到", "没有这个页面或事件。")
