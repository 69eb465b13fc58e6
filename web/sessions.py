"""Signing in from a link: a one-time password by SMS, then a session cookie.

Form posts are JSON only (`Content-Type: application/json`) and the cookie is SameSite=Strict,
so another site can neither submit these forms nor ride the session.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from clinic.domain import Principal, Role
from clinic.messages.http import DoctorSignIn, NoFields, RequestCode, VerifyCode
from clinic.sign_in import SESSION_COOKIE, SignInRefused
from clinic.sms import SmsFailed, SmsTemplate, render_sms
from signaling.session_watch import SessionWatch
from web.bodies import body
from web.platform import PLATFORM
from web.ratelimit import Limiter, RateLimit, RedisRateLimit

log = logging.getLogger(__name__)

COOKIE = SESSION_COOKIE
LIMIT = web.AppKey("sign_in_limit", Limiter)
WATCH = web.AppKey("session_watch", SessionWatch)


def _json_error(status: int, code: str, message: str, **extra: str | int | None) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status)


async def _limited(request: web.Request) -> web.Response | None:
    if not await request.app[LIMIT].allow(request.remote or "unknown"):
        return _json_error(429, "rate_limited", "too many attempts; wait a minute")
    return None


async def send_code(request: web.Request) -> web.Response:
    """`POST /api/join/{token}/otp`: the link's open one-time password, or with
    `{"resend": true}` a new one sent to the patient's phone."""
    if (limited := await _limited(request)) is not None:
        return limited
    message = await body(request, RequestCode)
    records = request.app[PLATFORM].records
    try:
        sent = await request.app[PLATFORM].sign_in.start_otp(
            request.match_info["token"], message.resend
        )
    except SignInRefused as exc:
        await records.audit(
            None, "sign_in.code", source=request.remote, outcome="refused", detail=exc.code
        )
        return _json_error(
            403 if exc.code == "invalid_link" else 429, exc.code, exc.message, **exc.extra
        )
    answer = {
        "challenge_id": sent.challenge_id,
        "phone_ending": sent.phone[-2:],
        "sent": sent.code is not None,
        "attempts_left": sent.attempts_left,
        "retry_after_s": sent.retry_after_s,
    }
    if sent.code is None:
        return web.json_response(answer)
    text = render_sms(SmsTemplate.OTP, sent.language, code=sent.code)
    try:
        await request.app[PLATFORM].messenger.send_now(
            sent.phone,
            text,
            "otp",
            sent.patient_id,
            f"otp:{sent.challenge_id}",
            stored_text=render_sms(SmsTemplate.OTP, sent.language, code="••••••"),
        )
    except SmsFailed as exc:
        log.warning("sign_in_sms_failed error=%s", exc)
        await request.app[PLATFORM].sign_in.withdraw_otp(sent.challenge_id)
        return _json_error(502, "sms_failed", "the SMS could not be sent; try again shortly")
    await records.audit(None, "sign_in.code", patient_id=sent.patient_id, source=request.remote)
    return web.json_response(answer)


async def verify_code(request: web.Request) -> web.Response:
    """`POST /api/join/{token}/session` with `{challenge_id, code}`: sets the session cookie."""
    if (limited := await _limited(request)) is not None:
        return limited
    message = await body(request, VerifyCode)
    sign_in = request.app[PLATFORM].sign_in
    try:
        token = await sign_in.verify_otp(
            request.match_info["token"], message.challenge_id, message.code
        )
    except SignInRefused as exc:
        await request.app[PLATFORM].records.audit(
            None, "sign_in", source=request.remote, outcome="refused", detail=exc.code
        )
        return _json_error(403, exc.code, exc.message, **exc.extra)
    return await _signed_in(request, token, "sign_in")


async def _signed_in(request: web.Request, token: str, action: str) -> web.Response:
    """Audits the sign-in and hands the browser its session cookie."""
    sign_in = request.app[PLATFORM].sign_in
    who = await sign_in.principal(token)
    assert who is not None
    await request.app[PLATFORM].records.audit(
        who, action, patient_id=who.id if who.role is Role.PATIENT else None, source=request.remote
    )
    response = web.json_response({"role": who.role.value, "name": who.display_name})
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        path="/",
        secure=request.secure,
        max_age=int(sign_in.session_ttl.total_seconds()),
    )
    return response


async def doctor_sign_in(request: web.Request) -> web.Response:
    """`POST /api/sessions/doctor` with `{login, password, code?}`: sets the session cookie."""
    if (limited := await _limited(request)) is not None:
        return limited
    message = await body(request, DoctorSignIn)
    sign_in = request.app[PLATFORM].sign_in
    try:
        token = await sign_in.doctor_password(message.login, message.password, message.code)
    except SignInRefused as exc:
        await request.app[PLATFORM].records.audit(
            None, "sign_in.doctor", source=request.remote, outcome="refused", detail=exc.code
        )
        return _json_error(403, exc.code, exc.message)
    return await _signed_in(request, token, "sign_in.doctor")


async def who_am_i(request: web.Request) -> web.Response:
    who = await session_principal(request)
    if who is None:
        return _json_error(401, "unauthorized", "not signed in")
    # A parent's page lets them switch to the records of the children linked to them.
    records = request.app[PLATFORM].records
    children = await records.children_of(who.id) if who.role is Role.PATIENT else []
    self_ = await records.patient(who.id) if who.role is Role.PATIENT else None
    # Whether an oncology centre follows them: only then has the page a tumour-board section.
    return web.json_response(
        {
            "role": who.role.value,
            "id": who.id,
            "name": who.display_name,
            "centre": bool(self_ and self_.oncology_centre_id),
            "children": [
                {"id": c.id, "name": c.full_name, "centre": bool(c.oncology_centre_id)}
                for c in children
            ],
        }
    )


async def sign_out(request: web.Request) -> web.Response:
    """Ends the caller's session (the cookie, or a program's `Authorization: Bearer`) and
    closes every socket opened with it, on every node."""
    await body(request, NoFields)
    token = request.cookies.get(COOKIE, "") or _bearer(request)
    if token and (token_hash := await request.app[PLATFORM].sign_in.sign_out(token)) is not None:
        await request.app[WATCH].ended(token_hash)
    response = web.json_response({"signed_out": True})
    response.del_cookie(COOKIE, path="/")
    return response


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer ") :].strip() if header.startswith("Bearer ") else ""


async def session_principal(request: web.Request) -> Principal | None:
    return await request.app[PLATFORM].sign_in.principal(request.cookies.get(COOKIE, ""))


def add_routes(app: web.Application, watch: SessionWatch, redis_url: str | None = None) -> None:
    app[WATCH] = watch
    if redis_url:
        shared = RedisRateLimit(redis_url, per_window=20, window_s=60)
        app[LIMIT] = shared

        async def limit(app: web.Application) -> AsyncIterator[None]:
            yield
            await shared.close()

        app.cleanup_ctx.append(limit)
    else:
        app[LIMIT] = RateLimit(per_window=20, window_s=60)
    app.router.add_post("/api/join/{token}/otp", send_code)
    app.router.add_post("/api/join/{token}/session", verify_code)
    app.router.add_post("/api/sessions/doctor", doctor_sign_in)
    app.router.add_get("/api/me", who_am_i)
    app.router.add_post("/api/sign-out", sign_out)
