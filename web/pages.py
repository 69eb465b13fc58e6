"""The patient's join page and the doctor's console, rendered with Jinja2."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from clinic.settings import Settings

STATIC = Path(__file__).parent / "static"
PAGES_SETTINGS = web.AppKey("pages_settings", Settings)
ENVIRONMENT = web.AppKey("pages_jinja", jinja2.Environment)

TEXT = {
    "ru": {
        "title": "Телемедицинская консультация", "audio": "Только звук", "video": "Видео",
        "join": "Встать в очередь", "waiting": "Вы в очереди, ваш номер",
        "mode": "Как вы хотите говорить с врачом", "hangup": "Завершить",
        "in_call": "Идёт консультация", "ended": "Консультация завершена",
        "protocol": "Протокол консультации", "invalid": "Ссылка недействительна или устарела",
        "mic_denied": "Нет доступа к микрофону: разрешите его в настройках браузера",
        "lost": "Связь потеряна, переподключаемся…", "language": "English",
        "reviewing": "Консультация завершена. Врач проверяет протокол, он появится здесь",
        "check_mic": "Проверить микрофон",
        "mic_ok": "Микрофон работает: говорите, полоса движется",
        "estimate": "Примерное ожидание, мин",
        "estimate_unknown": "Оценить время ожидания пока нельзя",
        "rejoined": "Связь восстановлена",
    },
    "en": {
        "title": "Telemedicine consultation", "audio": "Audio only", "video": "Video",
        "join": "Join the queue", "waiting": "You are in the queue, number",
        "mode": "How do you want to talk to the doctor", "hangup": "Hang up",
        "in_call": "Consultation in progress", "ended": "The consultation has ended",
        "protocol": "Consultation protocol", "invalid": "This link is invalid or has expired",
        "mic_denied": "No access to the microphone: allow it in the browser settings",
        "lost": "Connection lost, reconnecting…", "language": "Русский",
        "reviewing": "The consultation has ended. The doctor is checking the protocol; "
                     "it will appear here",
        "check_mic": "Check the microphone",
        "mic_ok": "The microphone works: speak and the bar moves",
        "estimate": "Estimated wait, min", "estimate_unknown": "No estimate of the wait yet",
        "rejoined": "Connection restored",
    },
}


async def join_page(request: web.Request) -> web.Response:
    language = request.query.get("lang", "ru")
    if language not in TEXT:
        language = "ru"
    return _render(request, "patient.html.j2", language=language, t=TEXT[language],
                   token=request.match_info["token"])


async def console_page(request: web.Request) -> web.Response:
    return _render(request, "console.html.j2", language="en", t=TEXT["en"])


def _render(request: web.Request, template: str, **context: object) -> web.Response:
    settings = request.app[PAGES_SETTINGS]
    html = request.app[ENVIRONMENT].get_template(template).render(
        ice_servers=list(settings.ice_servers), **context)
    return web.Response(text=html, content_type="text/html", headers={
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
    })


def add_routes(app: web.Application, settings: Settings) -> None:
    app[PAGES_SETTINGS] = settings
    app[ENVIRONMENT] = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"), autoescape=True)
    app.router.add_get("/join/{token}", join_page)
    app.router.add_get("/console", console_page)
    app.router.add_static("/static", STATIC)
