"""A console page: its template with the reader's language, the form token, and the cookies they need."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from mobile_api.console.i18n import LANG_COOKIE, labels, language, words
from mobile_api.console.pages import COUNTY_TIME
from mobile_api.console.session import CSRF_COOKIE, cookie, csrf_token

LANG_AGE: Final = 365 * 24 * 3600


def render(request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any) -> Template:
    """The page `name`, in the reader's language (Chinese unless they chose English), with a CSRF token for its forms."""
    services = request.app.state.services
    lang = language(request)
    token = csrf_token(request, services)
    cookies: list[Cookie] = []
    if request.query_params.get("lang") == lang:
        cookies.append(cookie(request, LANG_COOKIE, lang, LANG_AGE))
    if request.cookies.get(CSRF_COOKIE) != token:
        cookies.append(cookie(request, CSRF_COOKIE, token, None))
    caller = request.state.get("caller")
    return Template(template_name=name, status_code=status_code, cookies=cookies, context={
        **context, "lang": lang, "t": words(lang), "label": labels(lang), "csrf": token, "caller": caller,
        "path": request.url.path, "other_lang": "en" if lang == "zh" else "zh",
    })


def county_time(value: str | datetime | None) -> str:
    """A moment as the county reads it: China Standard Time, to the minute."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(COUNTY_TIME).strftime("%Y-%m-%d %H:%M")


def content_security_policy(tile_url: str | None) -> str:
    """Nothing from anywhere but this server, except the tiles of a configured map service."""
    images = "'self'"
    if tile_url:
        parts = urlsplit(tile_url)
        images += f" {parts.scheme}://{parts.netloc}"
    return (f"default-src 'self'; img-src {images}; script-src 'self'; style-src 'self'; font-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
