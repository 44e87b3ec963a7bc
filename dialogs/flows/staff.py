"""Commands for the Smart-City offices: figures in the chat, and a login link to the dashboard."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from dialogs import roles
from dialogs.flow import Arg, Command, Flow
from dialogs.i18n import N_
from dialogs.messages import Identity, Inbound, InboundKind, Span
from dialogs.names import city_name, field_title, platform_name
from dialogs.roles import STAFF, done_screen, grants_of, refuse
from dialogs.screen import Screen
from dialogs.turn import Turn
from storage import moderation as db
from storage import stats
from storage.store import Store


def asks_for_figures(inbound: Inbound) -> bool:
    """A /stats command: its figures are read before the event's transaction (`read_figures`)."""
    text = inbound.text.strip()
    if inbound.kind not in (InboundKind.TEXT, InboundKind.COMMAND) or not text.startswith("/"):
        return False
    head = text[1:].partition(" ")[0]
    return head.split("@", 1)[0].lower() == "stats"


def read_figures(
    store: Store, admins: Collection[Identity], identity: Identity, now: datetime
) -> stats.Overview | None:
    """The figures for a staff member, from a snapshot that holds up no other event.

    Counting every vote takes a while; inside the event's transaction it would hold the
    write lock (SQLite) that every other resident's event waits for. The role is checked
    here first, so nobody else makes the store count; the command checks it again.
    """
    return store.read(
        lambda tx: stats.overview(tx, now) if roles.is_staff(roles.grants(tx, admins, identity)) else None
    )


def _for_staff(name: str, help_text: str, answer: Callable[[Turn], Screen]) -> Command:
    """A staff command: the role is checked and the use written to the audit log, every time."""

    def run(turn: Turn, arg: Arg) -> None:
        if not roles.is_staff(grants_of(turn)):
            turn.screen_override = refuse(turn, name, "-")
            return
        db.audit(turn.tx, str(turn.inbound.identity), name, "-", "done", turn.now)
        turn.screen_override = answer(turn)

    run.__name__ = f"run_{name}"
    return Command(name, help_text, STAFF, run=run)


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


FLOW = Flow(
    name="staff",
    screens={},
    transitions=[],
    commands=(
        _for_staff("stats", N_("Figures: ideas, supports, participants"), figures),
        _for_staff("dashboard", N_("A login link to the dashboard"), dashboard_link),
    ),
)
