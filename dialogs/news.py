"""News for residents: opt-in subscriptions, /stop, and how a broadcast reads for them.

Subscribing is opt-in: the first main menu asks once, with nothing ticked; the
settings show and change the subscriptions; /stop ends them all in one step.
"""

from __future__ import annotations

from babel import Locale

from dialogs.i18n import N_, Language
from dialogs.messages import Block, Button, Reply, Span
from dialogs.screens import ASKED, city_name, topic_ok
from dialogs.turn import Turn
from storage import subscriptions as db

BUTTON_LABELS = {"open": N_("To the idea"), "vote": N_("Vote now")}


# -- conditions and effects (see dialogs/table.py) ------------------------------------------


def is_topic(turn: Turn, arg: str | None) -> bool:
    return topic_ok(turn, arg)


def came_from_settings(turn: Turn, arg: str | None) -> bool:
    return turn.ctx.get("back") == "settings"


def remember_origin(turn: Turn, arg: str | None) -> None:
    turn.ctx["back"] = "settings" if turn.state == "settings" else "menu"


def toggle_topic(turn: Turn, arg: str | None) -> None:
    if arg is not None:
        db.toggle(turn.tx, turn.resident.id, arg, turn.now)


def subscribe_city(turn: Turn, arg: str | None) -> None:
    db.subscribe(turn.tx, turn.resident.id, db.CITY, turn.now)
    _ = turn.lang.gettext
    turn.note(
        _("Done: you will receive news from {city}. Send /stop to end this at any time.").format(
            city=city_name(turn, turn.resident.city)
        )
    )


def decline_news(turn: Turn, arg: str | None) -> None:
    _ = turn.lang.gettext
    turn.note(_("All right, no news. You can subscribe at any time in the settings."))


def stop_news(turn: Turn, arg: str | None) -> None:
    removed = db.unsubscribe_all(turn.tx, turn.resident.id)
    turn.ctx[ASKED] = True
    _ = turn.lang.gettext
    if removed:
        turn.note(_("Done: you will receive no more news. You can subscribe again in the settings."))
    else:
        turn.note(_("You have not subscribed to any news, so you will not receive any."))


# -- what a subscriber receives ----------------------------------------------------------------


def broadcast_reply(
    text: str, idea_id: int | None, button: str | None, lang: Language, written_in: str | None = None
) -> Reply:
    """A broadcast as one subscriber reads it: the text, a button to the idea, how to stop.

    A subscriber of another language than the one it was `written_in` is told so in their own
    language: the bot never translates a message by machine.
    """
    _ = lang.gettext
    blocks = []
    if written_in is not None and written_in != lang.code:
        name = Locale.parse(written_in).get_display_name(lang.locale) or written_in
        note = _("This message is only available in {language}; there is no translation of it.")
        blocks.append(Block((Span(note.format(language=name), "italic"),)))
    blocks.extend(Block((Span(paragraph),)) for paragraph in text.split("\n\n") if paragraph.strip())
    blocks.append(Block((Span(_("You receive this because you subscribed to news. To stop: /stop"), "italic"),)))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if idea_id is not None and button in BUTTON_LABELS:
        buttons = ((Button(_(BUTTON_LABELS[button]), f"l.idea_{idea_id}"),),)
    return Reply(blocks=tuple(blocks), buttons=buttons, language=lang.code)
