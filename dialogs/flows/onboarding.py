"""First contact and the main menu: language, city, deep links, and the commands that lead back.

A deep link (``/start idea_42``, ``/start field_3``) is kept until the resident has chosen
a language and a city, then opened.
"""

from __future__ import annotations

from dialogs.flow import Arg, Command, Flow, leave_flow, onboarded, say_cancelled
from dialogs.flows import ideas, news, polls
from dialogs.i18n import N_
from dialogs.messages import bold
from dialogs.names import localized
from dialogs.payloads import DeepLink
from dialogs.screen import Screen
from dialogs.turn import Turn

# -- conditions -------------------------------------------------------------------------------


def has_city(turn: Turn, arg: Arg) -> bool:
    return turn.resident.city is not None


def is_language(turn: Turn, arg: Arg) -> bool:
    return turn.languages.supports(arg)


def is_city(turn: Turn, arg: Arg) -> bool:
    return arg is not None and turn.content.city(arg) is not None


def link_is_idea(turn: Turn, arg: Arg) -> bool:
    link = DeepLink.parse(turn.conversation.deep_link)
    return link is not None and link.kind == "idea" and ideas.idea_visible(turn, str(link.number))


def link_is_unavailable_idea(turn: Turn, arg: Arg) -> bool:
    """A link to an idea that does not exist, or that this resident may not see (pending, hidden, merged)."""
    link = DeepLink.parse(turn.conversation.deep_link)
    return link is not None and link.kind == "idea" and not ideas.idea_visible(turn, str(link.number))


def link_is_field(turn: Turn, arg: Arg) -> bool:
    link = DeepLink.parse(turn.conversation.deep_link)
    return link is not None and link.kind == "field" and 1 <= link.number <= len(turn.content.handlungsfelder)


# -- effects ----------------------------------------------------------------------------------


def remember_link(turn: Turn, arg: Arg) -> None:
    """Keep a deep link (``idea_42``, ``field_3``) until the resident is onboarded."""
    link = DeepLink.parse(arg)
    turn.conversation.deep_link = str(link) if link is not None else None


def open_link(turn: Turn, arg: Arg) -> None:
    conversation = turn.conversation
    link = DeepLink.parse(conversation.deep_link)
    conversation.deep_link = None
    if link is None:
        return
    if link.kind == "idea":
        conversation.idea = link.number
        conversation.back_to = "menu"
    else:
        conversation.topic = turn.content.handlungsfelder[link.number - 1].id


def say_idea_unavailable(turn: Turn, arg: Arg) -> None:
    turn.conversation.deep_link = None
    _ = turn.lang.gettext
    turn.note(_("This idea is not available: it does not exist, or it is not published (any more)."))


def set_language(turn: Turn, arg: Arg) -> None:
    changed = turn.resident.language is not None
    turn.resident.language = arg
    if changed:
        _ = turn.lang.gettext
        turn.note(_("Done: I will speak English with you from now on."))


def set_city(turn: Turn, arg: Arg) -> None:
    if not is_city(turn, arg):
        return
    changed = turn.resident.city is not None
    turn.resident.city = arg
    if changed and arg is not None:
        city = turn.content.city(arg)
        _ = turn.lang.gettext
        name = city.name[turn.lang.code] if city else arg
        turn.note(_("Done: you will now see the ideas for {city}.").format(city=name))


def has_typed_draft(turn: Turn, arg: Arg) -> bool:
    """An idea being written that already holds words the resident typed."""
    draft = turn.conversation.idea_draft
    asking = turn.state.startswith("submit_") and turn.state != "submit_discard"
    return asking and draft is not None and bool(draft.title or draft.description)


def ask_to_discard(turn: Turn, arg: Arg) -> None:
    turn.conversation.resume_step = turn.state


# -- screens ----------------------------------------------------------------------------------


def language(turn: Turn) -> Screen:
    """Every language, each in its own words; the one the platform suggests comes first."""
    screen = Screen()
    offered = turn.languages.all()
    hinted = turn.languages.match(turn.inbound.language_hint)
    if turn.resident.language is not None:
        hinted = turn.languages.get(turn.resident.language)
    if hinted is not None:
        offered = [hinted, *(lang for lang in offered if lang is not hinted)]
    greetings: list[str] = []
    for lang in offered:
        greeting = lang.gettext("Welcome to the Mitmach-Bot! Please choose your language.")
        if greeting not in greetings:  # Leichte Sprache greets as German does: say it once
            greetings.append(greeting)
            screen.text.para(greeting, language=lang.code)
    for lang in offered:
        screen.button(lang.name, f"pick_language:{lang.code}")
    return screen


def city(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Which city do you live in, or which one do you care about most?"))
    screen.text.para(_("You will see the ideas for this city. You can change it at any time in the settings."))
    for item in turn.content.cities:
        screen.button(localized(turn, item.name), f"pick_city:{item.id}")
    return screen


def menu(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(localized(turn, turn.content.name)))
    news.offer_once(turn, screen)
    screen.text.para(_("What would you like to do?"))
    screen.button(_("Discover the vision"), "tour")
    screen.button(_("Ideas by topic"), "fields")
    screen.button(_("Submit an idea"), "submit")
    screen.button(_("My ideas"), "my_ideas")
    polls.offer_in_menu(turn, screen)
    screen.pair((_("Settings"), "settings"), (_("Privacy"), "privacy"))
    return screen


FLOW = Flow(
    name="onboarding",
    screens={
        "new": language,  # first contact: nothing shown yet
        "language": language,  # choose a language
        "city": city,  # choose a city
        "menu": menu,  # main menu
    },
    transitions=[
        {
            "trigger": "start",
            "source": "*",
            "dest": "idea",
            "conditions": [onboarded, link_is_idea],
            "prepare": [remember_link],
            "before": [leave_flow, open_link],
        },
        {
            "trigger": "start",
            "source": "*",
            "dest": "field",
            "conditions": [onboarded, link_is_field],
            "before": [leave_flow, open_link],
        },
        {
            "trigger": "start",
            "source": "*",
            "dest": "menu",
            "conditions": [onboarded, link_is_unavailable_idea],
            "before": [leave_flow, say_idea_unavailable],
        },
        {"trigger": "start", "source": "*", "dest": "menu", "conditions": [onboarded], "before": [leave_flow]},
        {"trigger": "start", "source": "*", "dest": "language"},
        {"trigger": "menu", "source": "*", "dest": "menu", "conditions": [onboarded], "before": [leave_flow]},
        {"trigger": "menu", "source": "*", "dest": "language"},
        {
            "trigger": "cancel",
            "source": "*",
            "dest": "submit_discard",
            "conditions": [onboarded, has_typed_draft],
            "before": [ask_to_discard],
        },
        {"trigger": "cancel", "source": "*", "dest": "menu", "conditions": [onboarded], "before": [say_cancelled]},
        {"trigger": "cancel", "source": "*", "dest": "language", "before": [say_cancelled]},
        {"trigger": "language", "source": "*", "dest": "language", "before": [leave_flow]},
        {
            "trigger": "pick_language",
            "source": "language",
            "dest": "menu",
            "conditions": [is_language, has_city],
            "before": [set_language],
        },
        {
            "trigger": "pick_language",
            "source": "language",
            "dest": "city",
            "conditions": [is_language],
            "before": [set_language],
        },
        {
            "trigger": "pick_city",
            "source": "city",
            "dest": "idea",
            "prepare": [set_city],
            "conditions": [has_city, link_is_idea],
            "before": [open_link],
        },
        {
            "trigger": "pick_city",
            "source": "city",
            "dest": "field",
            "conditions": [has_city, link_is_field],
            "before": [open_link],
        },
        {
            "trigger": "pick_city",
            "source": "city",
            "dest": "menu",
            "conditions": [has_city, link_is_unavailable_idea],
            "before": [say_idea_unavailable],
        },
        {"trigger": "pick_city", "source": "city", "dest": "menu", "conditions": [has_city]},
    ],
    commands=(
        Command("start", N_("Start from the beginning"), in_groups=True),
        Command("menu", N_("Main menu"), aliases=("menue", "menü")),
        Command("cancel", N_("Cancel what you are doing"), aliases=("abbrechen",)),
        Command("language", N_("Change the language"), aliases=("sprache",)),
    ),
)
