"""Commands for the Smart-City offices: figures in the chat, and a login link to the dashboard."""

from __future__ import annotations

from dialogs.i18n import N_, Language
from dialogs.messages import Span
from dialogs.moderation import done_screen, grants, refuse
from dialogs.screens import Screen, city_name, field_title
from dialogs.turn import Turn
from storage import moderation as db
from storage import stats
from storage.models import Role

COMMANDS = ("stats", "dashboard")
PLATFORM_NAMES = {"telegram": N_("Telegram"), "matrix": N_("Matrix"), "web": N_("Web chat"), "console": N_("Console")}


def platform_name(lang: Language, platform: str) -> str:
    """A platform as the offices know it; one without a name here is shown as stored."""
    name = PLATFORM_NAMES.get(platform)
    return lang.gettext(name) if name else platform


def is_staff(turn: Turn) -> bool:
    return any(g.role in (Role.STAFF, Role.ADMIN) for g in grants(turn))


def run_command(turn: Turn, name: str) -> Screen:
    if not is_staff(turn):
        return refuse(turn, name, "-")
    db.audit(turn.tx, str(turn.inbound.identity), name, "-", "done", turn.now)
    return figures(turn) if name == "stats" else dashboard_link(turn)


def figures(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    number = turn.lang.number
    data = stats.overview(turn.tx, turn.now)
    screen = Screen()
    screen.text.para(_("Published ideas and supports by topic and city:"))
    for topic in turn.content.handlungsfelder:
        rows = [row for row in data.by_field_city if row.field_id == topic.id]
        ideas = sum(row.ideas for row in rows)
        supports = sum(row.supports for row in rows)
        cities = ", ".join(f"{city_name(turn, row.city)} {number(row.ideas)}" for row in rows)
        title = field_title(turn, topic.id)
        line = _("{topic}: {ideas} ideas, {supports} supports").format(
            topic=title, ideas=number(ideas), supports=number(supports)
        )
        screen.text.item(line + (f" ({cities})" if cities else ""))
    screen.text.para(_("Participants by platform:"))
    for platform, count in data.participants_by_platform.items():
        screen.text.item(f"{platform_name(turn.lang, platform)}: {number(count)}")
    screen.text.para(_("Supports by platform:"))
    for platform in data.participants_by_platform:
        supports = data.supports_by_platform.get(platform, 0)
        screen.text.item(f"{platform_name(turn.lang, platform)}: {number(supports)}")
    screen.text.para(
        _("New this week: {ideas} ideas, {supports} supports, {people} participants.").format(
            ideas=number(data.new_ideas), supports=number(data.new_supports), people=number(data.new_participants)
        )
    )
    return done_screen(turn, screen)


def dashboard_link(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    identity = turn.inbound.identity
    token = stats.new_dashboard_token(turn.tx, "login", identity.platform, identity.user_id, turn.now)
    link = f"{turn.web_base_url}/dashboard/login?token={token}"
    screen = Screen()
    screen.text.para(_("Your login link for the dashboard. It works once, within 10 minutes:"))
    screen.text.para(Span(link, "link", url=link))
    return done_screen(turn, screen)
