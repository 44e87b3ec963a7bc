"""Commands for the Smart-City offices: figures in the chat, and a login link to the dashboard."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from dialogs.i18n import N_, Language
from dialogs.messages import Identity, Inbound, InboundKind, Span
from dialogs.moderation import done_screen, grants, refuse
from dialogs.screens import Screen, city_name, field_title
from dialogs.turn import Turn
from storage import moderation as db
from storage import stats
from storage.models import ALL_CITIES, Role
from storage.store import Store, Tx

COMMANDS = ("stats", "dashboard")
PLATFORM_NAMES = {"telegram": N_("Telegram"), "matrix": N_("Matrix"), "web": N_("Web chat"), "console": N_("Console")}


def platform_name(lang: Language, platform: str) -> str:
    """A platform as the offices know it; one without a name here is shown as stored."""
    name = PLATFORM_NAMES.get(platform)
    return lang.gettext(name) if name else platform


def is_staff(turn: Turn) -> bool:
    return any(g.role in (Role.STAFF, Role.ADMIN) for g in grants(turn))


def asks_for_figures(inbound: Inbound) -> bool:
    """A /stats command: its figures are read before the event's transaction (`read_figures`)."""
    text = inbound.text.strip()
    if inbound.kind not in (InboundKind.TEXT, InboundKind.COMMAND) or not text.startswith("/"):
        return False
    head = text[1:].partition(" ")[0]
    return head.split("@", 1)[0].lower() == "stats"


def read_figures(store: Store, admins: Iterable[Identity], identity: Identity, now: datetime) -> stats.Overview | None:
    """The figures for a staff member, from a snapshot that holds up no other event.

    Counting every vote takes a while; inside the event's transaction it would hold the
    write lock (SQLite) that every other resident's event waits for. The role is checked
    here first, so nobody else makes the store count; `run_command` checks it again.
    """

    def work(tx: Tx) -> stats.Overview | None:
        found = db.roles_of(tx, identity.platform, identity.user_id)
        if identity in admins:
            found.append(db.Grant(Role.ADMIN, ALL_CITIES))
        if not any(g.role in (Role.STAFF, Role.ADMIN) for g in found):
            return None
        return stats.overview(tx, now)

    return store.read(work)


def run_command(turn: Turn, name: str) -> Screen:
    if not is_staff(turn):
        return refuse(turn, name, "-")
    db.audit(turn.tx, str(turn.inbound.identity), name, "-", "done", turn.now)
    return figures(turn) if name == "stats" else dashboard_link(turn)


def figures(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    number = turn.lang.number
    data = turn.figures or stats.overview(turn.tx, turn.now)
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
