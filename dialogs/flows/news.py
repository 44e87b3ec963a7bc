"""News for residents: opt-in subscriptions, /stop, and how a broadcast reads for them.

Subscribing is opt-in: the first main menu asks once, with nothing ticked; the
settings show and change the subscriptions; /stop ends them all in one step.
"""

from __future__ import annotations

from babel import Locale

from dialogs.flow import Arg, Command, Flow
from dialogs.i18n import N_, Language
from dialogs.messages import Block, Button, Reply, Span, bold
from dialogs.names import city_name, field_title
from dialogs.payloads import idea_link
from dialogs.screen import Screen
from dialogs.turn import Turn
from storage import subscriptions as db

SUBSCRIBED, NOT_SUBSCRIBED = "☑", "☐"
TOGGLE_MARKS = {SUBSCRIBED: True, NOT_SUBSCRIBED: False}
"""A subscription's button starts with its mark: the web chat shows it as a switch, pressed or not."""
BUTTON_LABELS = {"open": N_("To the idea"), "vote": N_("Vote now")}
"""The labels staff may put on a broadcast's button to an idea."""

# -- conditions and effects ---------------------------------------------------------------------


def is_topic(turn: Turn, arg: Arg) -> bool:
    if arg == db.CITY:
        return True
    return bool(arg and arg.startswith("field:") and turn.content.field(arg[6:]) is not None)


def came_from_settings(turn: Turn, arg: Arg) -> bool:
    return turn.conversation.back_to == "settings"


def remember_origin(turn: Turn, arg: Arg) -> None:
    turn.conversation.back_to = "settings" if turn.state == "settings" else "menu"


def toggle_topic(turn: Turn, arg: Arg) -> None:
    if arg is not None:
        db.toggle(turn.tx, turn.resident.id, arg, turn.now)


def subscribe_city(turn: Turn, arg: Arg) -> None:
    db.subscribe(turn.tx, turn.resident.id, db.CITY, turn.now)
    _ = turn.lang.gettext
    turn.note(
        _("Done: you will receive news from {city}. Send /stop to end this at any time.").format(
            city=city_name(turn, turn.resident.city)
        )
    )


def decline_news(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    turn.note(_("All right, no news. You can subscribe at any time in the settings."))


def stop_news(turn: Turn, arg: Arg) -> None:
    removed = db.unsubscribe_all(turn.tx, turn.resident.id)
    turn.conversation.news_offered = True
    turn.conversation.news_due = False
    _ = turn.lang.gettext
    if removed:
        turn.note(_("Done: you will receive no more news. You can subscribe again in the settings."))
    else:
        turn.note(_("You have not subscribed to any news, so you will not receive any."))


# -- screens ------------------------------------------------------------------------------------


def summary(turn: Turn) -> str:
    """The resident's subscriptions in one line, e.g. "Aalen, Mobilität"."""
    _ = turn.lang.gettext
    names = [_label(turn, topic) for topic in db.topics_of(turn.tx, turn.resident.id) if is_topic(turn, topic)]
    return ", ".join(names) if names else _("none")


def _label(turn: Turn, topic: str) -> str:
    _ = turn.lang.gettext
    if topic == db.CITY:
        return _("News from {city}").format(city=city_name(turn, turn.resident.city))
    return field_title(turn, topic[6:])


def contributed(turn: Turn) -> None:
    """A support or a submission: the next screen asks about news, unless that was asked before."""
    if not turn.conversation.news_offered:
        turn.conversation.news_due = True


def offer_once(turn: Turn, screen: Screen) -> None:
    """After the first support or submission: offer news, nothing ticked, and never ask again."""
    if turn.conversation.news_offered or not turn.conversation.news_due:
        return
    turn.conversation.news_offered = True
    turn.conversation.news_due = False
    _ = turn.lang.gettext
    screen.text.para(
        bold(_("Would you like to hear how it goes on?")),
        " ",
        _("Nothing is subscribed unless you choose."),
    )
    city = city_name(turn, turn.resident.city)
    screen.button(_("Yes, news from {city}").format(city=city), "news_city")
    screen.pair((_("Choose topics"), "news"), (_("No, thank you"), "news_no"))


def news(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("News")))
    screen.text.para(_("Choose what we may tell you about. Press again to end a subscription."))
    screen.text.para(_("You receive: {topics}").format(topics=summary(turn)))
    subscribed = set(db.topics_of(turn.tx, turn.resident.id))
    topics = [db.CITY] + [db.field_topic(topic.id) for topic in turn.content.handlungsfelder]
    for topic in topics:
        mark = SUBSCRIBED if topic in subscribed else NOT_SUBSCRIBED
        screen.button(f"{mark} {_label(turn, topic)}", f"toggle:{topic}")
    screen.text.para(_("Send /stop to end all subscriptions at once."))
    screen.button(_("Done"), "back")
    return screen


# -- what a subscriber receives -----------------------------------------------------------------


def untranslated_note(lang: Language, written_in: str | None) -> list[Block]:
    """For a reader of `lang`, a text that staff wrote in another language only: say so in their language."""
    if written_in is None or written_in == lang.code:
        return []
    _ = lang.gettext
    name = Locale.parse(written_in).get_display_name(lang.locale) or written_in
    note = _("This message is only available in {language}; there is no translation of it.")
    return [Block((Span(note.format(language=name), "italic"),))]


def broadcast_reply(
    text: str, idea_id: int | None, button: str | None, lang: Language, written_in: str | None = None
) -> Reply:
    """A broadcast as one subscriber reads it: the text, a button to the idea, how to stop.

    A subscriber of another language than the one it was `written_in` is told so in their own
    language: the bot never translates a message by machine.
    """
    _ = lang.gettext
    blocks = untranslated_note(lang, written_in)
    blocks.extend(Block((Span(paragraph),)) for paragraph in text.split("\n\n") if paragraph.strip())
    blocks.append(Block((Span(_("You receive this because you subscribed to news. To stop: /stop"), "italic"),)))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if idea_id is not None and button in BUTTON_LABELS:
        buttons = ((Button(_(BUTTON_LABELS[button]), idea_link(idea_id)),),)
    return Reply(blocks=tuple(blocks), buttons=buttons, language=lang.code)


FLOW = Flow(
    name="news",
    screens={
        "news": news,  # news subscriptions: city news and Handlungsfelder, each ticked or not
    },
    transitions=[
        {"trigger": "stop", "source": "*", "dest": None, "before": [stop_news]},
        {"trigger": "news_city", "source": ["menu", "idea", "ideas"], "dest": None, "before": [subscribe_city]},
        {"trigger": "news_no", "source": ["menu", "idea", "ideas"], "dest": None, "before": [decline_news]},
        {
            "trigger": "news",
            "source": ["menu", "settings", "idea", "ideas"],
            "dest": "news",
            "before": [remember_origin],
        },
        {"trigger": "toggle", "source": "news", "dest": "news", "conditions": [is_topic], "before": [toggle_topic]},
        {"trigger": "back", "source": "news", "dest": "settings", "conditions": [came_from_settings]},
        {"trigger": "back", "source": "news", "dest": "menu"},
    ],
    commands=(Command("stop", N_("Receive no more news"), aliases=("stopp",)),),
)
