"""The staff dashboard: charts and tables of what residents think, with CSV downloads.

Nobody can open it without a one-time login link, which staff get from the bot with
/dashboard (valid for 10 minutes, usable once). The link lands on a page whose button
signs in (a POST from the bot's own page, so that the SameSite=Strict cookie works even
when the link was clicked on another site); the session cookie then lasts 8 hours or
until "Sign out". Every request checks the session and that its owner still has a staff
or admin role.

Every store query runs in a worker thread, and the figures are read from a snapshot
that takes no write lock (`Store.read`): a dashboard over many votes never holds up
the chat on the same event loop.
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.spreadsheet import safe_row
from bot.web.charts import Chart, horizontal_bars, vertical_bars
from bot.web.page import negotiate
from bot.web.poll_charts import poll_sections
from dialogs import roles
from dialogs.engine import Engine
from dialogs.i18n import Language
from dialogs.messages import Identity
from dialogs.names import platform_name
from storage import stats
from storage.models import ALL_CITIES

COOKIE = "mitmach_dashboard"
TABLES = ("fields", "weekly", "platforms")


def add_routes(app: web.Application, engine_key: Any, secure: Any, origin: Any) -> None:
    """`secure(request)`: whether cookies get the Secure flag; `origin(request)`: the bot's own origin."""

    async def landing(request: web.Request) -> web.Response:
        """Where the login link lands: a page of our own whose button finishes the login.

        The link is clicked in webmail or a messenger, on another site; a cookie set on that
        cross-site request would not be sent with the redirect after it (SameSite=Strict).
        The button's POST comes from this page, so the cookie it sets is sent from then on.
        A GET uses nothing up: a link preview that fetches it leaves the link working.
        """
        engine: Engine = request.app[engine_key]
        token = request.query.get("token", "")
        now = engine.store.now()
        valid = (
            len(token) <= 100
            and bool(token)
            and await asyncio.to_thread(engine.store.run, lambda tx: stats.login_token_open(tx, token, now))
        )
        if not valid:
            return _refused(request, engine, 403)
        lang = negotiate(request.headers.get("Accept-Language", ""), engine.languages)
        _ = lang.gettext
        page = aiohttp_jinja2.get_env(request.app).get_template("dashboard_login.html")
        return _html(
            page.render(
                lang=lang.tag,
                dir=lang.direction,
                title=_("Dashboard"),
                text=_("Press the button to sign in to the dashboard. The link then no longer works."),
                button=_("Sign in"),
                token=token,
            )
        )

    async def login(request: web.Request) -> web.Response:
        engine: Engine = request.app[engine_key]
        if not _same_origin(request, origin(request)):
            return _refused(request, engine, 403)
        form = await request.post()
        token = form.get("token")
        valid = isinstance(token, str) and 0 < len(token) <= 100
        session = await asyncio.to_thread(_open_session, engine, str(token)) if valid else None
        if session is None:
            return _refused(request, engine, 403)
        # returned, not raised: a raised redirect would skip the security headers' middleware
        response = web.Response(status=303, headers={"Location": "/dashboard", "Cache-Control": "no-store"})
        response.set_cookie(
            COOKIE,
            session,
            max_age=int(stats.SESSION_VALID.total_seconds()),
            httponly=True,
            samesite="Strict",
            secure=secure(request),
            path="/dashboard",
        )
        return response

    async def logout(request: web.Request) -> web.Response:
        engine: Engine = request.app[engine_key]
        if not _same_origin(request, origin(request)):
            return _refused(request, engine, 403)
        token = request.cookies.get(COOKIE)
        if token and len(token) <= 100:
            await asyncio.to_thread(engine.store.run, lambda tx: stats.end_session(tx, token))
        lang = negotiate(request.headers.get("Accept-Language", ""), engine.languages)
        _ = lang.gettext
        page = aiohttp_jinja2.get_env(request.app).get_template("dashboard_refused.html")
        text = _("You are signed out. To sign in again, ask the bot for a new login link with /dashboard.")
        response = _html(page.render(lang=lang.tag, dir=lang.direction, title=_("Dashboard"), text=text))
        response.del_cookie(COOKIE, path="/dashboard")
        return response

    async def page(request: web.Request) -> web.Response:
        engine: Engine = request.app[engine_key]
        if await _staff_session(request, engine) is None:
            return _refused(request, engine, 403)
        lang = negotiate(request.headers.get("Accept-Language", ""), engine.languages)
        return _html(render(aiohttp_jinja2.get_env(request.app), engine, lang, await _overview(engine)))

    async def table(request: web.Request) -> web.Response:
        engine: Engine = request.app[engine_key]
        name = request.match_info["name"]
        if name not in TABLES:
            raise web.HTTPNotFound()
        if await _staff_session(request, engine) is None:
            return _refused(request, engine, 403)
        lang = negotiate(request.headers.get("Accept-Language", ""), engine.languages)
        header, rows = _tables(engine, lang, await _overview(engine))[name]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(safe_row(header))
        writer.writerows(safe_row(row) for row in rows)
        return web.Response(
            text=buffer.getvalue(),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="mitmach-{name}.csv"', "Cache-Control": "no-store"},
        )

    app.router.add_get("/dashboard/login", landing)
    app.router.add_post("/dashboard/login", login)
    app.router.add_post("/dashboard/logout", logout)
    app.router.add_get("/dashboard", page)
    app.router.add_get("/dashboard/{name}.csv", table)


def _same_origin(request: web.Request, own: str) -> bool:
    """A form sent from the bot's own pages, not from another site.

    Browsers say where a request comes from in Sec-Fetch-Site, which no page can set. Where it
    is missing (an old browser), the Origin must be the bot's own: our pages' Referrer-Policy
    (no-referrer) makes such a browser send "null" instead, so it is refused, never let through.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    return request.headers.get("Origin") == own


def _is_staff(engine: Engine, identity: Identity) -> bool:
    return roles.is_staff(engine.store.run(lambda tx: roles.grants(tx, engine.admins, identity)))


def _open_session(engine: Engine, token: str) -> str | None:
    """A new session for the staff member behind a fresh login link; None for any other link."""
    now = engine.store.now()
    found = engine.store.run(lambda tx: stats.use_login_token(tx, token, now))
    if found is None or not _is_staff(engine, Identity(*found)):
        return None
    return engine.store.run(lambda tx: stats.new_dashboard_token(tx, "session", found[0], found[1], now))


async def _staff_session(request: web.Request, engine: Engine) -> Identity | None:
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return None
    return await asyncio.to_thread(_session_owner, engine, token)


def _session_owner(engine: Engine, token: str) -> Identity | None:
    found = engine.store.run(lambda tx: stats.session_identity(tx, token, engine.store.now()))
    if found is None:
        return None
    identity = Identity(*found)
    return identity if _is_staff(engine, identity) else None


async def _overview(engine: Engine) -> stats.Overview:
    return await asyncio.to_thread(engine.store.read, lambda tx: stats.overview(tx, engine.store.now()))


def _refused(request: web.Request, engine: Engine, status: int) -> web.Response:
    lang = negotiate(request.headers.get("Accept-Language", ""), engine.languages)
    _ = lang.gettext
    text = " ".join(
        (
            _("This page is for the Smart-City offices."),
            _("Please ask the bot for a new login link with /dashboard. Each link works once, for 10 minutes."),
        )
    )
    page = aiohttp_jinja2.get_env(request.app).get_template("dashboard_refused.html")
    return _html(page.render(lang=lang.tag, dir=lang.direction, title=_("Dashboard"), text=text), status)


def _html(text: str, status: int = 200) -> web.Response:
    response = web.Response(text=text, content_type="text/html", charset="utf-8", status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _field_title(engine: Engine, lang: Language, field_id: str) -> str:
    topic = engine.content.field(field_id)
    return engine.content.text(topic.title, lang.code) if topic else field_id


def _city_names(engine: Engine, lang: Language) -> list[tuple[str, str]]:
    cities = [(c.id, engine.content.text(c.name, lang.code)) for c in engine.content.cities]
    return [*cities, (ALL_CITIES, lang.gettext("all cities"))]


def _tables(engine: Engine, lang: Language, overview: stats.Overview) -> dict[str, tuple[list[str], list[list[Any]]]]:
    _ = lang.gettext
    cities = _city_names(engine, lang)
    fields: list[list[Any]] = []
    for topic in engine.content.handlungsfelder:
        for city_id, city_name in cities:
            row = next((r for r in overview.by_field_city if r.field_id == topic.id and r.city == city_id), None)
            fields.append(
                [_field_title(engine, lang, topic.id), city_name, row.ideas if row else 0, row.supports if row else 0]
            )
    return {
        "fields": ([_("Topic"), _("City"), _("Published ideas"), _("Supports")], fields),
        "weekly": (
            [_("Week from"), _("Ideas submitted"), _("Supports given")],
            [list(week) for week in overview.weekly],
        ),
        "platforms": (
            [_("Platform"), _("Participants"), _("Supports")],
            [
                [platform_name(lang, p), n, overview.supports_by_platform.get(p, 0)]
                for p, n in overview.participants_by_platform.items()
            ],
        ),
    }


@dataclass(frozen=True)
class _Table:
    header: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class _Section:
    anchor: str
    heading: str
    chart: Chart
    download: str
    table: _Table | None
    """The figures as a table: shown with the first section that draws from them."""


def _summary(lang: Language, overview: stats.Overview) -> str:
    text = lang.gettext("New this week: {ideas} ideas, {supports} supports, {people} participants.")
    return text.format(
        ideas=lang.number(overview.new_ideas),
        supports=lang.number(overview.new_supports),
        people=lang.number(overview.new_participants),
    )


def render(templates: jinja2.Environment, engine: Engine, lang: Language, overview: stats.Overview) -> str:
    _ = lang.gettext
    tables = _tables(engine, lang, overview)
    cities = _city_names(engine, lang)
    topics = [_field_title(engine, lang, t.id) for t in engine.content.handlungsfelder]

    def per_city(attribute: str) -> list[tuple[str, list[int]]]:
        series = []
        for city_id, city_name in cities:
            values = []
            for topic in engine.content.handlungsfelder:
                row = next((r for r in overview.by_field_city if r.field_id == topic.id and r.city == city_id), None)
                values.append(getattr(row, attribute) if row else 0)
            series.append((city_name, values))
        return series

    weeks = [week for week, _ideas, _supports in overview.weekly]
    platforms = list(overview.participants_by_platform)
    platform_names = [platform_name(lang, p) for p in platforms]
    charts = [
        (
            "ideas",
            _("Published ideas by topic and city"),
            horizontal_bars(_("Published ideas by topic and city"), topics, per_city("ideas")),
            "fields",
        ),
        (
            "supports",
            _("Supports by topic and city"),
            horizontal_bars(_("Supports by topic and city"), topics, per_city("supports")),
            "fields",
        ),
        (
            "weekly",
            _("Participation over the last 12 weeks"),
            vertical_bars(
                _("Participation over the last 12 weeks"),
                weeks,
                [
                    (_("Ideas submitted"), [w[1] for w in overview.weekly]),
                    (_("Supports given"), [w[2] for w in overview.weekly]),
                ],
            ),
            "weekly",
        ),
        (
            "platforms",
            _("Participants by platform"),
            horizontal_bars(
                _("Participants by platform"),
                platform_names,
                [(_("Participants"), list(overview.participants_by_platform.values()))],
            ),
            "platforms",
        ),
        (
            "platform-supports",
            _("Supports by platform"),
            horizontal_bars(
                _("Supports by platform"),
                platform_names,
                [(_("Supports"), [overview.supports_by_platform.get(p, 0) for p in platforms])],
            ),
            "platforms",
        ),
    ]
    shown: set[str] = set()
    sections: list[_Section] = []
    for anchor, heading, chart, table in charts:
        figures = None if table in shown else _Table(*tables[table])
        shown.add(table)
        sections.append(_Section(anchor, heading, chart, table, figures))
    return templates.get_template("dashboard.html").render(
        lang=lang.tag,
        dir=lang.direction,
        title=_("Dashboard"),
        summary=_summary(lang, overview),
        logout=_("Sign out"),
        sections=sections,
        polls=poll_sections(engine, lang),
        download=_("Download as CSV"),
    )
