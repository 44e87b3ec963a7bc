"""/broadcasts: past and running broadcasts with their delivery figures; pause, resume, cancel.

Also the figures line of the progress message the sender keeps editing for the author.
"""

from __future__ import annotations

from dialogs.broadcast_compose import ZONE, allowed, audience_label, is_staff
from dialogs.i18n import N_, Language
from dialogs.messages import Block, Reply, Span
from dialogs.moderation import done_screen, refuse
from dialogs.screens import Screen
from dialogs.turn import Turn
from storage import moderation as moderation_db
from storage import outbox
from storage.models import BroadcastStatus

COMMANDS = ("broadcasts",)
SHOWN = 10
STATUS_NAMES = {
    BroadcastStatus.SCHEDULED.value: N_("planned"),
    BroadcastStatus.SENDING.value: N_("sending"),
    BroadcastStatus.PAUSED.value: N_("paused"),
    BroadcastStatus.CANCELLED.value: N_("cancelled"),
    BroadcastStatus.DONE.value: N_("finished"),
}
CHANGES = {
    "pause": ((BroadcastStatus.SENDING,), BroadcastStatus.PAUSED),
    "resume": ((BroadcastStatus.PAUSED,), BroadcastStatus.SENDING),
    "cancel": (outbox.ACTIVE, BroadcastStatus.CANCELLED),
}


def figures_line(lang: Language, figures: outbox.Figures) -> str:
    """E.g. "12.345 von 48.000 zugestellt, 12 nicht erreichbar"."""
    _ = lang.gettext
    line = _("{sent} of {total} delivered, {unreachable} unreachable").format(
        sent=lang.number(figures.sent), total=lang.number(figures.total), unreachable=lang.number(figures.unreachable)
    )
    if figures.failed:
        line += ", " + _("{failed} failed").format(failed=lang.number(figures.failed))
    if figures.no_window:
        line += ", " + _("{count} unreachable (24-hour window)").format(count=lang.number(figures.no_window))
    if figures.cancelled:
        line += ", " + _("{cancelled} not sent (cancelled)").format(cancelled=lang.number(figures.cancelled))
    return line


def progress_reply(broadcast: outbox.BroadcastRecord, figures: outbox.Figures, lang: Language) -> Reply:
    """The author's progress message, edited as the broadcast goes."""
    _ = lang.gettext
    head = _("Message no. {number}: {status}").format(number=broadcast.id, status=_(STATUS_NAMES[broadcast.status]))
    return Reply(blocks=(Block((Span(head, "bold"),)), Block((Span(figures_line(lang, figures)),))), language=lang.code)


def run_command(turn: Turn) -> Screen:
    if not is_staff(turn, None):
        return refuse(turn, "broadcasts", "-")
    return listing(turn)


def listing(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    shown = [b for b in outbox.recent(turn.tx, SHOWN * 3) if allowed(turn, b.audience)][:SHOWN]
    if not shown:
        screen.text.para(_("No messages have been sent yet. Send /broadcast to write one."))
    for broadcast in shown:
        _describe(turn, screen, broadcast)
        buttons = []
        if broadcast.status == BroadcastStatus.SENDING.value:
            buttons.append((_("Pause {number}").format(number=broadcast.id), f"bc:pause:{broadcast.id}"))
        if broadcast.status == BroadcastStatus.PAUSED.value:
            buttons.append((_("Resume {number}").format(number=broadcast.id), f"bc:resume:{broadcast.id}"))
        if broadcast.status in {s.value for s in outbox.ACTIVE}:
            buttons.append((_("Cancel {number}").format(number=broadcast.id), f"bc:cancel:{broadcast.id}"))
        if buttons:
            screen.pair(*buttons)
    return done_screen(turn, screen)


def _describe(turn: Turn, screen: Screen, broadcast: outbox.BroadcastRecord) -> None:
    _ = turn.lang.gettext
    first_line = broadcast.text.split("\n", 1)[0]
    excerpt = first_line if len(first_line) <= 60 else first_line[:59] + "…"
    status = _(STATUS_NAMES[broadcast.status])
    when = turn.lang.datetime(broadcast.send_at, ZONE)
    screen.text.para(
        Span(_("No. {number} – {status} – {time}").format(number=broadcast.id, status=status, time=when), "bold")
    )
    screen.text.item(excerpt)
    screen.text.item(_("Recipients: {audience}").format(audience=audience_label(turn, broadcast.audience)))
    if broadcast.status != BroadcastStatus.SCHEDULED.value:
        screen.text.item(figures_line(turn.lang, outbox.figures(turn.tx, broadcast.id)))


def run_action(turn: Turn, action: str) -> Screen:
    """A button from /broadcasts: ``bc:pause:3``. The role is checked now, not when it was shown."""
    _ = turn.lang.gettext
    parts = action.split(":")
    if len(parts) != 3 or parts[1] not in CHANGES or not parts[2].isdigit():
        screen = Screen()
        screen.text.para(_("This menu is out of date. Here is the current one."))
        return done_screen(turn, screen)
    command, broadcast_id = parts[1], int(parts[2])
    obj = f"broadcast:{broadcast_id}"
    broadcast = outbox.get(turn.tx, broadcast_id)
    if not is_staff(turn, None) or broadcast is None or not allowed(turn, broadcast.audience):
        return refuse(turn, command, obj)
    allowed_from, to = CHANGES[command]
    screen = Screen()
    if outbox.change_status(turn.tx, broadcast_id, allowed_from, to):
        moderation_db.audit(turn.tx, str(turn.inbound.identity), command, obj, "done", turn.now)
        screen.text.para(
            _("Message no. {number} is now {status}.").format(number=broadcast_id, status=_(STATUS_NAMES[to.value]))
        )
    else:
        screen.text.para(
            _("Message no. {number} is {status}; that cannot be changed any more.").format(
                number=broadcast_id, status=_(STATUS_NAMES[broadcast.status])
            )
        )
    listed = listing(turn)
    screen.text.blocks.extend(listed.blocks)
    screen.rows.extend(listed.rows)
    return screen
