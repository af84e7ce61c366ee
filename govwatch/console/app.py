"""The web console (Starlette + Jinja2, served by uvicorn): pages and the JSON API.

Every request goes through the same chain: Host header allow-list (DNS rebinding) → security
headers → session (cookie → store) → role and scope → CSRF on every state-changing method.
An office user sees only its targets (``users.visible_target_ids``); anything else is a 404, in
pages and API alike. Every status change goes through ``govwatch.findings.set_status``.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from govwatch import rules as catalogue
from govwatch.alerts.compose import rule_basis, safe_link
from govwatch.console.security import (
    COMMON_HEADERS, LOCAL_HOSTS, PAGE_CSP, SNAPSHOT_CSP, LoginThrottle, mask_personal, tokens_match,
)
from govwatch.console.users import ROLE_LABELS, authenticate, units_below, visible_target_ids
from govwatch.findings import (
    OPEN_STATUSES, FindingError, count_overdue, deadline_days, is_overdue, overdue, parse_day, parse_status,
    set_status,
)
from govwatch.models import (
    FINDING_STATUS_LABELS, FINDING_TRANSITIONS, PLATFORM_LABELS, SEVERITIES, SEVERITY_LABELS, SEVERITY_RANK, TZ,
    UTC, Finding, Target, aware, fmt_local, local_day, now,
)
from govwatch.lifecycle import follow_deadline_settings
from govwatch.store import FindingFilter, Store, StoreError
from scanner.timeline import ThresholdBook

HERE = Path(__file__).parent
log = logging.getLogger("govwatch.console")
SESSION_COOKIE = "gw_session"
PRELOGIN_COOKIE = "gw_prelogin"
OFFICE_STATUSES = ("rectifying", "rectified")  # what an office may report; duty/admin confirm (销号)
MAX_PAGE_SIZE = 500
ALERT_STATUS_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "held": "待审核",
                       "cancelled": "已取消"}
TARGET_STATUS_LABELS = {"up": "正常", "live": "正常", "down": "无法访问", "gone": "已注销或不存在", "unknown": "未知"}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a registry file (nginx example: client_max_body_size 20m)
# the headers every response carries (unless it set its own), as ASGI wants them, encoded once
_COMMON_HEADERS = tuple((k.lower().encode(), v.encode()) for k, v in COMMON_HEADERS.items())
_PAGE_POLICY = ((b"content-security-policy", PAGE_CSP.encode()), (b"x-frame-options", b"DENY"))


def allowed_hosts(settings, bound_host: str = "127.0.0.1") -> list[str]:
    hosts = [*LOCAL_HOSTS, "[::1]", *(settings.console.get("hosts") or [])]
    if bound_host and bound_host not in ("0.0.0.0", "::", ""):
        hosts.append(bound_host)
    return list(dict.fromkeys(hosts))


@dataclass
class Ctx:
    """Who is asking: the user, their session, and the targets they may see (None: all)."""
    user: dict
    session: dict
    scope: set[str] | None

    @property
    def role(self) -> str:
        return self.user["role"]

    @property
    def name(self) -> str:
        return self.user["name"]

    @property
    def is_office(self) -> bool:
        return self.role == "office"

    def may_see(self, target_id: str) -> bool:
        return self.scope is None or target_id in self.scope


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Console:
    """The application's state: settings, store, throttle; ``app`` is the ASGI application."""

    def __init__(self, settings, store: Store, bound_host: str = "127.0.0.1"):
        self.settings = settings
        self.store = store
        cfg = settings.console
        self.cfg = cfg
        self._registry: tuple[float, list[Target]] | None = None
        self._registry_lock = threading.Lock()
        self._target_cache: dict[str, tuple[float, Target]] = {}
        self._follow_deadlines()
        self.throttle = LoginThrottle(cfg["login_max_failures"], cfg["login_lock_minutes"] * 60)
        # autoescape everything: crawled names, titles and snippets are hostile
        self.templates = Jinja2Templates(env=Environment(
            loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True)))
        env = self.templates.env
        env.globals.update(SEVERITY_LABELS=SEVERITY_LABELS, STATUS_LABELS=FINDING_STATUS_LABELS,
                           PLATFORM_LABELS=PLATFORM_LABELS, ROLE_LABELS=ROLE_LABELS, SEVERITIES=SEVERITIES,
                           ALERT_STATUS_LABELS=ALERT_STATUS_LABELS, TARGET_STATUS_LABELS=TARGET_STATUS_LABELS, has_echarts=(HERE / "static" / "echarts.min.js").exists())
        env.filters.update(local=fmt_local, day=lambda d: fmt_local(d, with_time=False), link=safe_link,
                           iso_local=_iso_local)
        # what people read for a finding's type and match: the catalogue's words, never a code
        env.globals.update(kind=lambda f: catalogue.display_category(f.rule, f.category),
                           shown=lambda f: catalogue.display_match(f.rule, f.match))
        routes = [  # the JSON API first: its clients poll it, and routes are tried in order
            Route("/api/findings", self.api_findings),
            Route("/api/findings/{fid}", self.api_finding),
            Route("/api/findings/{fid}/status", self.api_finding_status, methods=["POST"]),
            Route("/api/targets", self.api_targets),
            Route("/api/targets/{tid}", self.api_target),
            Route("/api/summary", self.api_summary),
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login_submit, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/", self.duty_page),
            Route("/events", self.events),
            Route("/findings", self.findings_page),
            Route("/findings/bulk", self.findings_bulk, methods=["POST"]),
            Route("/findings/{fid}", self.finding_page),
            Route("/findings/{fid}/status", self.finding_status_form, methods=["POST"]),
            Route("/findings/{fid}/snapshot", self.finding_snapshot),
            Route("/stats", self.stats_page),
            Route("/targets", self.targets_page),
            Route("/targets/{tid}", self.target_page),
            Route("/targets/{tid}/ack", self.target_ack, methods=["POST"]),
            Route("/alerts", self.alerts_page),
            Route("/alerts/release", self.alerts_release, methods=["POST"]),
            Route("/exports", self.exports_page, methods=["GET"]),
            Route("/exports", self.exports_create, methods=["POST"]),
            Route("/exports/{name}", self.exports_download),
            Route("/audit", self.audit_page),
            Route("/registry", self.registry_page, methods=["GET"]),
            Route("/registry", self.registry_import, methods=["POST"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
        self.app = Starlette(
            routes=routes,
            middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings, bound_host))],
            exception_handlers={HTTPException: self.http_error})
        self.app.router.redirect_slashes = False
        inner = self.app

        async def with_headers(scope, receive, send):
            if scope["type"] != "http":
                return await inner(scope, receive, send)

            async def send_wrapped(message):
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    names = {k.lower() for k, _ in headers}
                    headers += [(k, v) for k, v in _COMMON_HEADERS if k not in names]
                    if b"content-security-policy" not in names:
                        headers += _PAGE_POLICY
                    if b"cache-control" not in names and not scope["path"].startswith("/static/"):
                        headers.append((b"cache-control", b"no-store"))
                    message = {**message, "headers": headers}
                await send(message)

            await inner(scope, receive, send_wrapped)

        self.asgi = with_headers

    async def __call__(self, scope, receive, send):
        await self.asgi(scope, receive, send)

    # ------------------------------------------------------------------ sessions and guards
    def _cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                            secure=bool(self.cfg.get("secure_cookies")))

    def context(self, request: Request) -> Ctx | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 200:
            return None
        at = now()
        sid = _hash_token(token)
        found = self.store.get_session_user(sid, at=at)  # one query for both
        if found is None:
            return None
        session, user = found
        if user is None or user.get("disabled"):
            self.store.delete_session(sid)
            return None
        created = aware(datetime.fromisoformat(session["created_at"]))
        idle = timedelta(hours=self.cfg["session_hours"])
        latest = created + timedelta(hours=self.cfg["session_max_hours"])
        # sliding expiry, written at most every few minutes, never past the maximum lifetime
        wanted = min(at + idle, latest)
        if wanted - session["expires_at"] > timedelta(minutes=5):
            self.store.extend_session(sid, wanted)
        scope = visible_target_ids(self.store, user, self.registry()) if user.get("role") == "office" else None
        return Ctx(user=user, session={**session, "id": sid}, scope=scope)

    def page_ctx(self, request: Request, roles: tuple[str, ...] = ()) -> Ctx:
        ctx = self.context(request)
        if ctx is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(303, headers={"Location": "/login?next=" + quote(target, safe="")})
        if roles and ctx.role not in roles:
            raise HTTPException(403, "没有权限访问此页面")
        return ctx

    def api_ctx(self, request: Request) -> Ctx:
        ctx = self.context(request)
        if ctx is None:
            raise HTTPException(401, "未登录或会话已过期")
        return ctx

    def check_csrf(self, request: Request, ctx: Ctx, form=None) -> None:
        """Every state-changing request carries the session's token (form field or header) and,
        when the browser says where it comes from, comes from this console."""
        given = request.headers.get("x-csrf-token") or (form.get("csrf") if form is not None else None)
        if not tokens_match(given, ctx.session.get("csrf")) or not self._same_origin(request):
            raise HTTPException(403, "请求缺少有效的防伪令牌（CSRF），请刷新页面后重试")

    @staticmethod
    def _same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            return origin is None
        return urlsplit(origin).netloc == request.headers.get("host", "")

    def audit(self, ctx_or_name, action: str, request: Request | None = None, **fields) -> None:
        name = ctx_or_name.name if isinstance(ctx_or_name, Ctx) else ctx_or_name
        event = {"at": now().isoformat(), "user": name, "action": action, **fields}
        if request is not None and request.client:
            event["ip"] = request.client.host
        self.store.log_audit(event)

    async def http_error(self, request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (301, 302, 303, 307) and exc.headers:
            return Response(status_code=exc.status_code, headers=exc.headers)
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != _default_reason(exc.status_code) \
            else {401: "未登录或会话已过期", 403: "没有权限", 404: "页面不存在", 405: "不支持的请求方法"}.get(
                exc.status_code, "请求有误")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": detail}, status_code=exc.status_code, headers=exc.headers)
        ctx = None
        if exc.status_code not in (401,):
            try:
                ctx = self.context(request)
            except Exception:  # the error page must not fail on a broken session
                ctx = None
        return self.templates.TemplateResponse(request, "error.html", {"ctx": ctx, "status": exc.status_code,
                                                                      "message": detail},
                                               status_code=exc.status_code)

    def render(self, request: Request, template: str, ctx: Ctx | None, **data) -> HTMLResponse:
        return self.templates.TemplateResponse(request, template, {"ctx": ctx, "nav": template, **data})

    # ------------------------------------------------------------------ login
    async def login_page(self, request: Request) -> Response:
        if self.context(request) is not None:
            return RedirectResponse("/", status_code=303)
        pre = secrets.token_urlsafe(24)
        resp = self.render(request, "login.html", None, csrf=pre, next=_safe_next(request.query_params.get("next")),
                           error="")
        self._cookie(resp, PRELOGIN_COOKIE, pre, max_age=3600)
        return resp

    async def login_submit(self, request: Request) -> Response:
        form = await request.form()
        name = str(form.get("name") or "").strip()[:64]
        password = str(form.get("password") or "")[:1024]
        nxt = _safe_next(str(form.get("next") or ""))
        if not tokens_match(str(form.get("csrf") or ""), request.cookies.get(PRELOGIN_COOKIE)) \
                or not self._same_origin(request):
            raise HTTPException(403, "请求缺少有效的防伪令牌（CSRF），请刷新登录页后重试")
        ip = request.client.host if request.client else ""
        keys = (f"name:{name}", f"ip:{ip}")

        def again(error: str, status: int) -> Response:
            pre = secrets.token_urlsafe(24)
            resp = self.render(request, "login.html", None, csrf=pre, next=nxt, error=error, name=name)
            resp.status_code = status
            self._cookie(resp, PRELOGIN_COOKIE, pre, max_age=3600)
            return resp

        wait = self.throttle.wait_seconds(*keys)
        if wait > 0:
            self.audit(name or "?", "login_throttled", request)
            return again(f"登录失败次数过多，请 {max(1, int(wait // 60) + 1)} 分钟后再试", 429)
        user = authenticate(self.store, name, password)
        if user is None:
            self.throttle.failed(*keys)
            self.audit(name or "?", "login_failed", request)
            return again("用户名或密码错误，或账号已停用", 401)
        self.throttle.succeeded(keys[0])
        token = secrets.token_urlsafe(32)
        at = now()
        self.store.create_session({
            "id": _hash_token(token), "user": user["name"], "csrf": secrets.token_urlsafe(32),
            "created_at": at.isoformat(), "ip": ip,
            "expires_at": min(at + timedelta(hours=self.cfg["session_hours"]),
                              at + timedelta(hours=self.cfg["session_max_hours"]))})
        self.audit(user["name"], "login", request)
        resp = RedirectResponse(nxt or "/", status_code=303)
        self._cookie(resp, SESSION_COOKIE, token, max_age=int(self.cfg["session_max_hours"] * 3600))
        resp.delete_cookie(PRELOGIN_COOKIE, path="/")
        return resp

    async def logout(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        self.check_csrf(request, ctx, await request.form())
        self.store.delete_session(ctx.session["id"])
        self.audit(ctx, "logout", request)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    # ------------------------------------------------------------------ shared reads
    def registry(self) -> list[Target]:
        """Every target, re-read at most every ``console.registry_cache_seconds``: office scopes and
        the unit/platform filters need the whole registry on many requests (100,000 targets take
        about a second to load)."""
        with self._registry_lock:
            at = time.monotonic()
            if self._registry is None or at - self._registry[0] >= float(self.cfg["registry_cache_seconds"]):
                self._registry = (at, self.store.list_targets())
            return self._registry[1]

    def targets_by_id(self, ids) -> dict[str, Target]:
        """The targets a page of findings names, from a short-lived cache (a page names up to 500;
        decoding their full documents on every request would cost as much as the page query)."""
        at = time.monotonic()
        ttl = float(self.cfg["registry_cache_seconds"])
        ids = list(dict.fromkeys(ids))
        out, missing = {}, []
        for tid in ids:
            hit = self._target_cache.get(tid)
            if hit is not None and at - hit[0] < ttl:
                out[tid] = hit[1]
            else:
                missing.append(tid)
        if missing:
            if len(self._target_cache) > 20000:
                self._target_cache.clear()
            for t in self.store.get_targets(missing):
                self._target_cache[t.id] = (at, t)
                out[t.id] = t
        return out

    def finding_or_404(self, ctx: Ctx, fid: str) -> Finding:
        f = self.store.get_finding(fid) if fid and len(fid) <= 64 else None
        if f is None or not ctx.may_see(f.target_id):
            raise HTTPException(404, "问题不存在")
        return f

    def target_or_404(self, ctx: Ctx, tid: str) -> Target:
        t = self.store.get_target(tid) if tid and len(tid) <= 200 else None
        if t is None or not ctx.may_see(t.id):
            raise HTTPException(404, "监测对象不存在")
        return t

    def finding_filter(self, ctx: Ctx, q) -> tuple[FindingFilter, dict]:
        """Query parameters → a store filter within the user's scope; also the cleaned parameters."""
        params: dict = {}
        statuses = [s for raw in q.getlist("status") for s in raw.split(",") if s]
        if statuses == ["unfinished"] or statuses == ["未完成"]:
            status = list(OPEN_STATUSES)
        else:
            status = [parse_status(s) for s in statuses]
        severity = [s for raw in q.getlist("severity") for s in raw.split(",") if s]
        bad = [s for s in severity if s not in SEVERITY_RANK]
        if bad:
            raise FindingError(f"无法识别的问题级别：{bad[0]}")
        params.update(status=statuses, severity=severity)
        flt = FindingFilter(status=status or None, severity=severity or None, newest_first=True)
        rule = (q.get("rule") or "").strip()[:100]
        if rule:
            flt.rule_prefix = rule
            params["rule"] = rule
        for key, attr in (("since", "since"), ("until", "until")):
            value = (q.get(key) or "").strip()
            if value:
                day = parse_day(value)
                setattr(flt, attr, day + timedelta(days=1) if key == "until" and len(value) == 10 else day)
                params[key] = value
        unit = (q.get("unit") or "").strip()
        platform = (q.get("platform") or "").strip()
        target = (q.get("target") or "").strip()
        ids: set[str] | None = None if ctx.scope is None else set(ctx.scope)
        if unit or platform:
            targets = self.registry()
            units = units_below(targets, [unit]) if unit else None
            picked = {t.id for t in targets if (units is None or t.owner in units)
                      and (not platform or t.platform == platform)}
            ids = picked if ids is None else ids & picked
            params.update(unit=unit, platform=platform)
        if target:
            ids = {target} if ids is None else ids & {target}
            params["target"] = target
        if ids is not None:
            flt.target_ids = sorted(ids)
        return flt, params

    def page_numbers(self, q) -> tuple[int, int]:
        try:
            page = max(1, int(q.get("page") or 1))
            size = min(MAX_PAGE_SIZE, max(1, int(q.get("per_page") or self.cfg["page_size"])))
        except ValueError as exc:
            raise FindingError("页码应为正整数") from exc
        return page, size

    def list_page(self, ctx: Ctx, q) -> tuple[list[Finding], int, dict, int, int]:
        flt, params = self.finding_filter(ctx, q)
        page, size = self.page_numbers(q)
        if flt.target_ids is not None and not flt.target_ids:
            return [], 0, params, page, size
        total = self.store.count_findings(flt)
        flt.limit, flt.offset = size, (page - 1) * size
        return self.store.list_findings(flt), total, params, page, size

    def finding_rows(self, ctx: Ctx, rows: list[Finding], targets: dict[str, Target], reveal: bool = False,
                     at: datetime | None = None, when=None) -> list[dict]:
        """Findings as the API lists them, ``targets`` by id (a missing one: empty names). What is
        the same for every row (masking, the time overdue is judged at, the labels) is settled once:
        a page of 500 builds 500 of these per request. ``when``: how times are given (ISO text by
        default; ``_encoder_time`` leaves them to ``_json_bytes``, which writes the same text)."""
        when = when or _iso
        hide = mask_personal if ctx.is_office and not reveal else None
        at = at or now()
        severity_labels, status_labels = SEVERITY_LABELS, FINDING_STATUS_LABELS
        category, shown = catalogue.display_category, catalogue.display_match
        out = []
        for f in rows:
            target = targets.get(f.target_id)
            severity = f.effective_severity
            title, match = f.title, shown(f.rule, f.match)
            if hide is not None:
                title, match = hide(title), hide(match)
            out.append({
                "id": f.id, "target_id": f.target_id, "target_name": target.name if target else "",
                "owner": target.owner if target else "", "platform": target.platform if target else "",
                "rule": f.rule, "category": category(f.rule, f.category),
                "severity": severity, "severity_label": severity_labels.get(severity, severity),
                "reported_severity": f.severity, "status": f.status,
                "status_label": status_labels.get(f.status, f.status),
                "title": title, "match": match, "url": f.url,
                "first_seen_at": when(f.first_seen_at), "last_seen_at": when(f.last_seen_at),
                "deadline": when(f.deadline), "overdue": is_overdue(f, at),
            })
        return out

    def finding_json(self, ctx: Ctx, f: Finding, target: Target | None, detail: bool = False,
                     reveal: bool = False) -> dict:
        out = self.finding_rows(ctx, [f], {f.target_id: target} if target is not None else {}, reveal=reveal)[0]
        if detail:
            hide = mask_personal if ctx.is_office and not reveal else (lambda s: s)
            out.update(snippet=hide(f.snippet), detail=hide(f.detail), suggestion=f.suggestion,
                       basis=rule_basis(f.rule, self.settings.thresholds, target),
                       measure=catalogue.measure_text(f.rule, self._thresholds(target)), evidence=dict(f.evidence or {}),
                       history=[{k: (hide(v) if k == "note" and isinstance(v, str) else v)
                                 for k, v in h.items() if k != "evidence"} for h in f.history or []],
                       allowed_statuses=self.allowed_statuses(ctx, f), masked=ctx.is_office and not reveal)
        return out

    def _thresholds(self, target: Target | None) -> dict:
        """The settings' thresholds resolved for ``target`` (per platform, content type, its rules)."""
        th = self.settings.thresholds
        return ThresholdBook(th).for_target(target) if target is not None else th

    def target_json(self, ctx: Ctx, t: Target, detail: bool = False) -> dict:
        out = {"id": t.id, "name": t.name, "owner": t.owner, "parent": t.parent, "platform": t.platform,
               "url": t.url, "enabled": t.enabled, "status": t.status, "down_since": _iso(t.down_since),
               "last_published_at": _iso(t.last_published_at), "last_crawl_ok_at": _iso(t.last_crawl_ok_at),
               "consecutive_failures": t.consecutive_failures, "followers": t.followers}
        if detail:
            hide = mask_personal if ctx.is_office else (lambda s: s)
            out.update(office=t.office, owner_level=t.owner_level, operator_type=t.operator_type,
                       last_crawl_error=t.last_crawl_error,
                       contacts=[{"name": c.name, "role": c.role, "phone": hide(c.phone), "email": c.email}
                                 for c in t.contacts])
        return out

    def allowed_statuses(self, ctx: Ctx, f: Finding) -> list[str]:
        nxt = [s for s in FINDING_TRANSITIONS.get(f.status, ()) if s != f.status]
        if ctx.is_office:
            nxt = [s for s in nxt if s in OFFICE_STATUSES]
        order = list(FINDING_STATUS_LABELS)
        return sorted(nxt, key=order.index)

    def change_status(self, ctx: Ctx, f: Finding, status: str, note: str, request: Request) -> Finding:
        """One triage decision, checked against the role, done by the findings module, audited."""
        to = parse_status(status)
        note = (note or "").strip()[:2000]
        if ctx.is_office:
            if to not in OFFICE_STATUSES:
                raise HTTPException(403, "责任单位只能报告“整改中”或“已整改”，由值班员或管理员确认销号")
            if not note:
                raise FindingError("请填写整改说明")
        before = f.status
        changed = set_status(self.store, f.id, to, by=ctx.name, note=note)
        self.audit(ctx, "triage", request, finding_id=f.id, target_id=f.target_id, **{"from": before, "to": to},
                   note=note)
        return changed

    def _follow_deadlines(self) -> None:
        """Stored deadlines follow a changed deadline table (govwatch.lifecycle) before the first page is served."""
        try:
            moved = follow_deadline_settings(self.store, self.settings)
        except StoreError as exc:
            log.warning("整改期限设置已变更，但暂时无法更新已存问题的整改时限：%s", exc)
            return
        if moved:
            log.info("整改期限设置已变更：%d 个未完成问题的整改时限已按新期限重新计算", moved)

    def summary(self, ctx: Ctx) -> dict:
        at = now()
        ids = None if ctx.scope is None else sorted(ctx.scope)
        if ids is not None and not ids:
            return {"targets": 0, "down": 0, "failing": 0, "open": 0, "open_veto": 0, "open_high": 0,
                    "overdue": 0, "new": 0, "at": at.isoformat()}
        targets = self.store.list_targets() if ids is None else self.store.get_targets(ids)
        base = dict(target_ids=ids)
        return {
            "targets": len(targets),
            "down": sum(1 for t in targets if t.down_since is not None),
            "failing": sum(1 for t in targets if t.consecutive_failures),
            "open": self.store.count_findings(FindingFilter(status=OPEN_STATUSES, **base)),
            "open_veto": self.store.count_findings(FindingFilter(status=OPEN_STATUSES, severity=["veto"], **base)),
            "open_high": self.store.count_findings(FindingFilter(status=OPEN_STATUSES, severity=["high"], **base)),
            "overdue": count_overdue(self.store, at, target_ids=ids),
            "new": self.store.count_findings(FindingFilter(
                status=OPEN_STATUSES, severity=["veto", "high"],
                since=at - timedelta(hours=self.cfg["new_hours"]), **base)),
            "at": at.isoformat(),
        }

    # ------------------------------------------------------------------ 值班台
    async def duty_page(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        at = now()
        ids = None if ctx.scope is None else sorted(ctx.scope)
        targets = self.store.list_targets() if ids is None else (self.store.get_targets(ids) if ids else [])
        by_id = {t.id: t for t in targets}
        down = sorted((t for t in targets if t.down_since is not None), key=lambda t: t.down_since)
        fresh = [] if ids == [] else self.store.list_findings(FindingFilter(
            status=OPEN_STATUSES, severity=["veto", "high"], since=at - timedelta(hours=self.cfg["new_hours"]),
            target_ids=ids, newest_first=True, limit=200))
        fresh.sort(key=lambda f: SEVERITY_RANK[f.effective_severity])
        late = [] if ids == [] else overdue(self.store, at, target_ids=ids, limit=200)
        failing = sorted((t for t in targets if t.consecutive_failures), key=lambda t: -t.consecutive_failures)
        acks = self.down_acks(down)
        from govwatch.periods import periods_at

        return self.render(request, "duty.html", ctx, at=at, down=down, fresh=fresh, late=late, failing=failing,
                           targets=by_id, hours=self.cfg["new_hours"], mask=self._masker(ctx), acks=acks,
                           periods=periods_at(self.store, at))

    def down_acks(self, down: list[Target]) -> dict[str, dict]:
        """Who acknowledged each outage (this outage: the same down_since), from the audit trail."""
        wanted = {t.id: _iso(t.down_since) for t in down}
        acks: dict[str, dict] = {}
        if not wanted:
            return acks
        for e in self.store.list_audit(limit=2000):
            tid = e.get("target_id")
            if e.get("action") == "ack_down" and tid in wanted and e.get("down_since") == wanted[tid] \
                    and tid not in acks:
                acks[tid] = e
        return acks

    async def target_ack(self, request: Request) -> Response:
        """The duty officer acknowledges an outage: recorded (who, when), shown on the duty page."""
        ctx = self.page_ctx(request, roles=("admin", "duty"))
        form = await request.form()
        self.check_csrf(request, ctx, form)
        t = self.target_or_404(ctx, request.path_params["tid"])
        if t.down_since is None:
            raise HTTPException(409, "该网站当前可以访问")
        self.audit(ctx, "ack_down", request, target_id=t.id, down_since=_iso(t.down_since))
        return RedirectResponse("/", status_code=303)

    def _masker(self, ctx: Ctx):
        return mask_personal if ctx.is_office else (lambda s: s)

    async def events(self, request: Request) -> Response:
        """Server-sent events: each new (open, veto or high) finding once, as JSON."""
        ctx = self.page_ctx(request)
        try:
            since = aware(datetime.fromisoformat(request.query_params.get("since", ""))) or now()
        except ValueError:
            since = now()
        interval = float(self.cfg["live_seconds"])
        sent: set[str] = set()

        async def stream():
            cursor = since
            yield "retry: 5000\n\n"
            while True:
                if await request.is_disconnected():
                    break
                if self.store.get_session(ctx.session["id"]) is None:  # logged out meanwhile
                    yield "event: logout\ndata: {}\n\n"
                    break
                at = now()
                ids = None if ctx.scope is None else sorted(ctx.scope)
                found = [] if ids == [] else self.store.list_findings(FindingFilter(
                    status=OPEN_STATUSES, severity=["veto", "high"], since=cursor - timedelta(minutes=2),
                    target_ids=ids, newest_first=True, limit=100))
                fresh = [f for f in reversed(found) if f.id not in sent]
                if fresh:
                    names = self.targets_by_id(f.target_id for f in fresh)
                    for f in fresh:
                        sent.add(f.id)
                        payload = self.finding_json(ctx, f, names.get(f.target_id))
                        payload["first_seen_local"] = fmt_local(f.first_seen_at)
                        yield f"event: finding\nid: {f.id}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
                else:
                    yield ": keep-alive\n\n"
                cursor = at
                await asyncio.sleep(interval)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # ------------------------------------------------------------------ 问题清单
    async def findings_page(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        error = ""
        try:
            rows, total, params, page, size = self.list_page(ctx, request.query_params)
        except FindingError as exc:
            rows, total, params, page, size, error = [], 0, {}, 1, self.cfg["page_size"], str(exc)
        names = self.targets_by_id(f.target_id for f in rows)
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
        pages = max(1, -(-total // size))
        bulk = [s for s in FINDING_STATUS_LABELS if s != "open" and (not ctx.is_office or s in OFFICE_STATUSES)]
        units = sorted({t.owner for t in self.registry() if ctx.may_see(t.id)} - {""})
        return self.render(request, "findings.html", ctx, rows=rows, total=total, params=params, page=page,
                           pages=pages, size=size, names=names, error=error, bulk_statuses=bulk,
                           prev_url=_page_url(query, page - 1) if page > 1 else "",
                           next_url=_page_url(query, page + 1) if page < pages else "",
                           units=[u for u in units if u], mask=self._masker(ctx),
                           done=request.query_params.get("done"), failed=request.query_params.get("failed"),
                           now=now(), is_overdue=is_overdue)

    async def findings_bulk(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        form = await request.form()
        self.check_csrf(request, ctx, form)
        ids = [str(i) for i in form.getlist("ids")][:500]
        status, note = str(form.get("status") or ""), str(form.get("note") or "")
        done = failed = 0
        for fid in ids:
            try:
                f = self.finding_or_404(ctx, fid)
                self.change_status(ctx, f, status, note, request)
                done += 1
            except (HTTPException, FindingError):
                failed += 1
        back = _safe_next(str(form.get("back") or "")) or "/findings"
        sep = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{sep}{urlencode({'done': done, 'failed': failed})}", status_code=303)

    async def finding_page(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        f = self.finding_or_404(ctx, request.path_params["fid"])
        reveal = ctx.is_office and request.query_params.get("reveal") == "1"
        if reveal:
            self.audit(ctx, "reveal", request, finding_id=f.id, target_id=f.target_id)
        target = self.store.get_target(f.target_id)
        data = self.finding_json(ctx, f, target, detail=True, reveal=reveal or not ctx.is_office)
        return self.render(request, "finding.html", ctx, f=f, d=data, target=target, reveal=reveal,
                           error=request.query_params.get("error", "")[:200] and "状态修改未成功",
                           has_snapshot=bool((f.evidence or {}).get("snapshot")))

    async def finding_status_form(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        form = await request.form()
        self.check_csrf(request, ctx, form)
        f = self.finding_or_404(ctx, request.path_params["fid"])
        try:
            self.change_status(ctx, f, str(form.get("status") or ""), str(form.get("note") or ""), request)
        except FindingError as exc:
            target = self.store.get_target(f.target_id)
            data = self.finding_json(ctx, f, target, detail=True, reveal=not ctx.is_office)
            resp = self.render(request, "finding.html", ctx, f=f, d=data, target=target, reveal=False,
                               error=str(exc), has_snapshot=bool((f.evidence or {}).get("snapshot")))
            resp.status_code = 400
            return resp
        return RedirectResponse(f"/findings/{quote(f.id)}", status_code=303)

    async def finding_snapshot(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        f = self.finding_or_404(ctx, request.path_params["fid"])
        key = (f.evidence or {}).get("snapshot") or ""
        raw = self.store.get_snapshot(key) if key else None
        if raw is None:
            raise HTTPException(404, "证据快照不存在")
        text = _decode(raw)
        reveal = ctx.is_office and request.query_params.get("reveal") == "1"
        if ctx.is_office and not reveal:
            text = mask_personal(text)
        return Response(text.encode("utf-8"), media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": SNAPSHOT_CSP, "X-Frame-Options": "SAMEORIGIN",
                                 "Cache-Control": "no-store"})

    # ------------------------------------------------------------------ 统计
    async def stats_page(self, request: Request) -> Response:
        """Trends per month by problem category and by unit, open and overdue by unit, and the zombie
        and stale findings of this month against last month (within the user's scope)."""
        ctx = self.page_ctx(request)
        at = now()
        local = at.astimezone(TZ)
        months = []
        y, m = local.year, local.month
        for _ in range(12):
            months.append(f"{y:04d}-{m:02d}")
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        months.reverse()
        start = datetime(int(months[0][:4]), int(months[0][5:]), 1, tzinfo=TZ)
        ids = None if ctx.scope is None else sorted(ctx.scope)
        found = [] if ids == [] else self.store.list_findings(FindingFilter(since=start, target_ids=ids))
        owner = {t.id: t.owner or "（未填写主办单位）" for t in self.registry()}
        family: dict[str, dict[str, int]] = {}
        units: dict[str, dict[str, int]] = {}
        for f in found:
            month = f.first_seen_at.astimezone(TZ).strftime("%Y-%m")
            per = family.setdefault(f.category or f.rule, dict.fromkeys(months, 0))
            if month in per:
                per[month] += 1
            u = units.setdefault(owner.get(f.target_id, f.target_id), {"new": 0, "open": 0, "overdue": 0, "done": 0})
            u["new"] += 1
            u["open"] += f.status in OPEN_STATUSES
            u["overdue"] += is_overdue(f, at)
            u["done"] += f.status in ("rectified", "closed")
        this_month, last_month = months[-1], months[-2]

        def count(prefixes: tuple[str, ...], month: str) -> int:
            return sum(1 for f in found if f.rule.startswith(prefixes)
                       and f.first_seen_at.astimezone(TZ).strftime("%Y-%m") == month)

        kinds = {"僵尸账号": ("account.zombie",), "账号不更新": ("account.stale",),
                 "网站栏目不更新": ("site.column_stale", "site.homepage_stale")}
        compare = [{"kind": k, "this": count(p, this_month), "last": count(p, last_month)} for k, p in kinds.items()]
        chart = {"months": months, "series": [{"name": k, "data": [v[m] for m in months]}
                                              for k, v in sorted(family.items())]}
        unit_rows = sorted(units.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["open"], kv[0]))
        return self.render(request, "stats.html", ctx, chart=chart, months=months, family=sorted(family.items()),
                           units=unit_rows, compare=compare, this_month=this_month, last_month=last_month,
                           total=len(found))

    # ------------------------------------------------------------------ targets
    async def targets_page(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        q = request.query_params
        text = (q.get("q") or "").strip()[:100]
        platform = (q.get("platform") or "").strip()
        targets = self.store.list_targets() if ctx.scope is None else self.store.get_targets(sorted(ctx.scope))
        picked = [t for t in targets if (not text or text in t.name or text in t.owner or text in t.id)
                  and (not platform or t.platform == platform)]
        page, size = self.page_numbers(q)
        pages = max(1, -(-len(picked) // size))
        query = [(k, v) for k, v in q.multi_items() if k != "page"]
        return self.render(request, "targets.html", ctx, rows=picked[(page - 1) * size: page * size],
                           total=len(picked), q=text, platform=platform, page=page, pages=pages,
                           prev_url=_page_url(query, page - 1) if page > 1 else "",
                           next_url=_page_url(query, page + 1) if page < pages else "")

    async def target_page(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        t = self.target_or_404(ctx, request.path_params["tid"])
        at = now()
        year_ago = at - timedelta(days=365)
        per_day: dict[str, int] = {}
        for when in self.store.publication_times([t.id], year_ago, at + timedelta(days=1)).get(t.id, []):
            key = local_day(when).isoformat()
            per_day[key] = per_day.get(key, 0) + 1
        checks = self.store.list_checks(t.id, since=at - timedelta(days=30))
        days: dict[str, list[int]] = {}
        for c in checks:
            ok_total = days.setdefault(local_day(c.at).isoformat(), [0, 0])
            ok_total[0] += int(c.ok)
            ok_total[1] += 1
        availability = [{"day": d, "ok": v[0], "total": v[1], "ratio": round(100 * v[0] / v[1], 1)}
                        for d, v in sorted(days.items())]
        findings = self.store.list_findings(FindingFilter(target_id=t.id, newest_first=True, limit=100))
        chart = {"from": local_day(year_ago).isoformat(), "to": local_day(at).isoformat(),
                 "days": sorted(per_day.items()),
                 "availability": [[a["day"], a["ratio"]] for a in availability]}
        return self.render(request, "target.html", ctx, t=t, d=self.target_json(ctx, t, detail=True),
                           findings=findings, availability=availability, chart=chart,
                           posts_year=sum(per_day.values()), mask=self._masker(ctx))

    # ------------------------------------------------------------------ 提醒
    async def alerts_page(self, request: Request) -> Response:
        ctx = self.page_ctx(request, roles=("admin", "duty"))
        held = self.store.list_alerts(status="held", limit=500)
        outbox = self.store.list_alerts(limit=200)
        log = self.store.list_alert_log(limit=200)
        return self.render(request, "alerts.html", ctx, held=held, outbox=outbox, log=log,
                           released=request.query_params.get("released"),
                           cancelled=request.query_params.get("cancelled"))

    async def alerts_release(self, request: Request) -> Response:
        from govwatch.alerts.policy import release

        ctx = self.page_ctx(request, roles=("admin", "duty"))
        form = await request.form()
        self.check_csrf(request, ctx, form)
        ids = [str(i) for i in form.getlist("ids")][:1000]
        if not ids and form.get("all") != "1":
            return RedirectResponse("/alerts", status_code=303)
        result = release(self.store, ids or None, by=ctx.name)
        self.audit(ctx, "release", request, alert_ids=ids or "all", released=result["released"],
                   cancelled=result["cancelled"])
        return RedirectResponse(f"/alerts?{urlencode({'released': result['released'], 'cancelled': result['cancelled']})}",
                                status_code=303)

    # ------------------------------------------------------------------ 导出
    def export_dir(self, ctx: Ctx) -> Path:
        base = self.settings.var_path / "exports"
        if ctx.is_office:  # an office's packages are kept apart from everyone else's
            return base / "offices" / hashlib.sha256(ctx.name.encode("utf-8")).hexdigest()[:16]
        return base

    async def exports_page(self, request: Request) -> Response:
        from govwatch.evidence import previous_month

        ctx = self.page_ctx(request)
        folder = self.export_dir(ctx)
        files = sorted(folder.glob("govwatch-*.zip"), key=lambda p: p.stat().st_mtime, reverse=True) \
            if folder.exists() else []
        rows = [{"name": p.name, "size": p.stat().st_size,
                 "at": datetime.fromtimestamp(p.stat().st_mtime, TZ)} for p in files[:200]]
        return self.render(request, "exports.html", ctx, rows=rows, month=previous_month(),
                           owners=ctx.user.get("owners") or [], error=request.query_params.get("error", "")[:200])

    async def exports_create(self, request: Request) -> Response:
        from govwatch.evidence import ExportError, export_month

        ctx = self.page_ctx(request)
        form = await request.form()
        self.check_csrf(request, ctx, form)
        month = str(form.get("month") or "").strip()
        owner = str(form.get("owner") or "").strip() or None
        if ctx.is_office and owner not in (ctx.user.get("owners") or []):
            raise HTTPException(403, "只能导出本单位的材料")
        try:
            path = await asyncio.to_thread(export_month, self.store, self.settings, month, self.export_dir(ctx),
                                           owner=owner)
        except (ExportError, ValueError) as exc:
            return RedirectResponse("/exports?" + urlencode({"error": str(exc)}), status_code=303)
        self.audit(ctx, "export", request, month=month, owner=owner or "", file=path.name)
        return RedirectResponse("/exports", status_code=303)

    async def exports_download(self, request: Request) -> Response:
        ctx = self.page_ctx(request)
        name = request.path_params["name"]
        folder = self.export_dir(ctx)
        path = folder / name
        if "/" in name or "\\" in name or not name.startswith("govwatch-") or not name.endswith(".zip") \
                or not path.is_file():
            raise HTTPException(404, "文件不存在")
        self.audit(ctx, "download", request, file=name)
        return FileResponse(path, filename=name, media_type="application/zip")

    async def audit_page(self, request: Request) -> Response:
        ctx = self.page_ctx(request, roles=("admin",))
        return self.render(request, "audit.html", ctx, rows=self.store.list_audit(limit=500),
                           users=self.store.list_users())

    # ------------------------------------------------------------------ 名录与设置 (admin)
    async def registry_page(self, request: Request) -> Response:
        ctx = self.page_ctx(request, roles=("admin",))
        return self.render(request, "registry.html", ctx, result=None, error="",
                           settings_text=json.dumps(_redacted(self.settings.data), ensure_ascii=False, indent=2))

    async def registry_import(self, request: Request) -> Response:
        """Upload a registry file: the CLI's all-or-nothing import (one bad row, nothing imported)."""
        import tempfile

        from govwatch.lifecycle import record_hits
        from govwatch.registry import RegistryError, load_targets
        from scanner.registry_rules import check_registry

        ctx = self.page_ctx(request, roles=("admin",))
        form = await request.form(max_files=1, max_fields=10)
        self.check_csrf(request, ctx, form)
        upload = form.get("file")
        error, result = "", None
        name = getattr(upload, "filename", "") or ""
        suffix = Path(name).suffix.lower()
        if not name or suffix not in (".xlsx", ".csv", ".yaml", ".yml"):
            error = "请选择名录文件（.xlsx、.csv、.yaml 或 .yml）"
        else:
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                error = f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / f"名录{suffix}"
                    path.write_bytes(data)
                    try:
                        targets = load_targets(path)
                    except RegistryError as exc:
                        error = str(exc).replace(str(path), name) + "\n未导入任何记录。"
                    else:
                        existing = {t.id: t for t in self.store.list_targets()}
                        created, updated = self.store.upsert_targets(targets)
                        self._registry = None
                        self._target_cache.clear()
                        merged = list({**existing, **{t.id: t for t in targets}}.values())
                        problems = check_registry(merged)
                        if problems:
                            record_hits(self.store, [(None, tid, hit) for tid, hit in problems],
                                        deadline_days=deadline_days(self.settings))
                        result = {"created": created, "updated": updated, "total": len(targets),
                                  "problems": [(tid, hit.category, hit.detail or hit.match) for tid, hit in problems]}
                        self.audit(ctx, "registry_import", request, file=name, created=created, updated=updated)
        resp = self.render(request, "registry.html", ctx, result=result, error=error,
                           settings_text=json.dumps(_redacted(self.settings.data), ensure_ascii=False, indent=2))
        if error:
            resp.status_code = 400
        return resp

    # ------------------------------------------------------------------ JSON API
    async def api_findings(self, request: Request) -> Response:
        ctx = self.api_ctx(request)
        try:
            rows, total, params, page, size = self.list_page(ctx, request.query_params)
        except FindingError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        names = self.targets_by_id(f.target_id for f in rows)
        return Response(_json_bytes({"total": total, "page": page, "per_page": size,
                                     "items": self.finding_rows(ctx, rows, names, when=_encoder_time)}),
                        media_type="application/json")

    async def api_finding(self, request: Request) -> Response:
        ctx = self.api_ctx(request)
        f = self.finding_or_404(ctx, request.path_params["fid"])
        reveal = ctx.is_office and request.query_params.get("reveal") == "1"
        if reveal:
            self.audit(ctx, "reveal", request, finding_id=f.id, target_id=f.target_id)
        return JSONResponse(self.finding_json(ctx, f, self.store.get_target(f.target_id), detail=True,
                                              reveal=reveal or not ctx.is_office))

    async def api_finding_status(self, request: Request) -> Response:
        ctx = self.api_ctx(request)
        self.check_csrf(request, ctx)
        f = self.finding_or_404(ctx, request.path_params["fid"])
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "请求体应为 JSON：{\"status\": …, \"note\": …}"}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            return JSONResponse({"error": "缺少 status"}, status_code=400)
        note = body.get("note") if isinstance(body.get("note"), str) else ""
        try:
            changed = self.change_status(ctx, f, body["status"], note, request)
        except FindingError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409 if "不能从" in str(exc) or "已经是" in str(exc)
                                else 400)
        return JSONResponse(self.finding_json(ctx, changed, self.store.get_target(changed.target_id), detail=True))

    async def api_targets(self, request: Request) -> Response:
        ctx = self.api_ctx(request)
        targets = self.store.list_targets() if ctx.scope is None else self.store.get_targets(sorted(ctx.scope))
        try:
            page, size = self.page_numbers(request.query_params)
        except FindingError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"total": len(targets), "page": page, "per_page": size,
                             "items": [self.target_json(ctx, t) for t in targets[(page - 1) * size: page * size]]})

    async def api_target(self, request: Request) -> Response:
        ctx = self.api_ctx(request)
        return JSONResponse(self.target_json(ctx, self.target_or_404(ctx, request.path_params["tid"]), detail=True))

    async def api_summary(self, request: Request) -> Response:
        ctx = self.api_ctx(request)
        return JSONResponse({"user": ctx.name, "role": ctx.role, **self.summary(ctx)})


# ---------------------------------------------------------------------------- helpers

def _default_reason(status: int) -> str:
    from http import HTTPStatus
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


SECRET_KEYS = ("password", "cookie", "secret", "token")


def _redacted(data):
    """Settings for display: anything that looks like a credential is hidden."""
    if isinstance(data, dict):
        return {k: ("（已隐藏）" if v and any(s in k.lower() for s in SECRET_KEYS) else _redacted(v))
                for k, v in data.items()}
    if isinstance(data, list):
        return [_redacted(v) for v in data]
    return data


def _iso_local(value) -> str:
    """A stored ISO time (history, audit, alert log) shown like every other time: Asia/Shanghai."""
    if isinstance(value, datetime):
        return fmt_local(aware(value))
    try:
        return fmt_local(aware(datetime.fromisoformat(str(value)))) if value else ""
    except ValueError:
        return str(value)


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return (dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)).isoformat()  # aware(dt): a naive time is UTC


def _encoder_time(dt: datetime | None):
    """A time for ``_json_bytes``: orjson writes a UTC or naive (taken as UTC) time exactly as
    ``_iso`` does, in C; any other offset (orjson drops an offset's seconds) is made text here."""
    if dt is None or dt.tzinfo is UTC or dt.tzinfo is None:
        return dt
    return _iso(dt)


def _json_bytes(content) -> bytes:
    """The bytes Starlette's JSONResponse sends for ``content`` (compact, UTF-8, no ASCII escapes),
    written by orjson: a page of findings is encoded ten times faster than by the json module."""
    return orjson.dumps(content, option=orjson.OPT_NAIVE_UTC)


def _safe_next(value: str | None) -> str:
    """Only a local path may follow a login (no open redirect)."""
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return ""
    return value


def _page_url(query: list[tuple[str, str]], page: int) -> str:
    return "?" + urlencode([*query, ("page", str(page))])


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def create_app(settings=None, store: Store | None = None, bound_host: str = "127.0.0.1") -> Console:
    """The console as an ASGI application (``Console`` is callable)."""
    if settings is None:
        from govwatch.settings import load_settings
        settings = load_settings()
    if store is None:
        from govwatch.store import open_store
        store = open_store(settings=settings)
    return Console(settings, store, bound_host)
