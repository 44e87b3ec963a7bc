"""The vision tour: the shared vision, the Leitziele one by one, a question back, the Zielbilder.

Each screen stays short (about 60 words); its longer text opens with "Read more". After the
Leitziele the tour asks which one matters most and shows how residents of the same city
chose so far (counted anonymously, storage/leitziel_choice.py). "Back" goes one screen back; the last
screen offers the Handlungsfelder directly.
"""

from __future__ import annotations

from dialogs.flow import Arg, Flow, clear_flow
from dialogs.flows.ideas import is_field, set_field
from dialogs.messages import bold, italic
from dialogs.names import gloss_lines, localized, working_title_note
from dialogs.screen import Screen
from dialogs.turn import Turn
from storage import leitziel_choice


def has_next_leitziel(turn: Turn, arg: Arg) -> bool:
    return turn.conversation.tour_step + 1 < len(turn.content.leitziele)


def has_previous_leitziel(turn: Turn, arg: Arg) -> bool:
    return turn.conversation.tour_step > 0


def is_leitziel(turn: Turn, arg: Arg) -> bool:
    return any(goal.id == arg for goal in turn.content.leitziele)


def start_tour(turn: Turn, arg: Arg) -> None:
    turn.conversation.tour_step = 0
    turn.conversation.tour_more = False


def next_leitziel(turn: Turn, arg: Arg) -> None:
    turn.conversation.tour_step += 1
    turn.conversation.tour_more = False


def previous_leitziel(turn: Turn, arg: Arg) -> None:
    turn.conversation.tour_step -= 1
    turn.conversation.tour_more = False


def last_leitziel(turn: Turn, arg: Arg) -> None:
    turn.conversation.tour_step = len(turn.content.leitziele) - 1
    turn.conversation.tour_more = False


def read_more(turn: Turn, arg: Arg) -> None:
    turn.conversation.tour_more = True


def fold(turn: Turn, arg: Arg) -> None:
    turn.conversation.tour_more = False


def record_choice(turn: Turn, arg: Arg) -> None:
    """Count the choice (moving an earlier one), then say how the resident's city chose so far."""
    _ = turn.lang.gettext
    city = turn.resident.city or ""
    assert arg is not None  # is_leitziel
    leitziel_choice.choose(turn.tx, city, arg, turn.conversation.leitziel_choice)
    turn.conversation.leitziel_choice = arg
    turn.conversation.tour_more = False
    counted = leitziel_choice.counts(turn.tx, city)
    total = sum(counted.values()) or 1
    shares = [
        f"{localized(turn, goal.title)} {turn.lang.percent(counted.get(goal.id, 0) / total)}"
        for goal in turn.content.leitziele
    ]
    turn.note(_("Thank you! So far residents of {city} chose:").format(city=_city(turn)))
    turn.note(" · ".join(shares))


def _city(turn: Turn) -> str:
    city = turn.content.city(turn.resident.city or "")
    return localized(turn, city.name) if city else ""


# -- screens ----------------------------------------------------------------------------------


def _buttons(turn: Turn, screen: Screen, next_label: str, *, more: bool) -> Screen:
    _ = turn.lang.gettext
    if more and not turn.conversation.tour_more:
        screen.button(_("Read more"), "more")
    screen.pair((_("Back"), "back"), (next_label, "next"))
    return screen.button(_("Skip the tour"), "skip")


def vision(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    shared = turn.content.vision
    screen = Screen()
    screen.text.para(bold(localized(turn, shared.title)))
    screen.text.para(localized(turn, shared.short))
    if turn.conversation.tour_more:
        screen.text.para(localized(turn, shared.long))
        for line in gloss_lines(turn, shared):
            screen.text.item(italic(line))
    return _buttons(turn, screen, _("Next: the goals"), more=True)


def leitziel(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    goals = turn.content.leitziele
    index = min(turn.conversation.tour_step, len(goals) - 1)
    goal = goals[index]
    screen = Screen()
    heading = _("Goal {number} of {total}").format(number=index + 1, total=len(goals))
    screen.text.para(italic(heading))
    screen.text.para(bold(localized(turn, goal.title)))
    screen.text.para(localized(turn, goal.long if turn.conversation.tour_more else goal.short))
    screen.text.para(_("Goals of the Smart City Charter:"))
    for charta in goal.charta:
        screen.text.item(localized(turn, charta))
    if turn.conversation.tour_more:
        for line in gloss_lines(turn, goal):
            screen.text.item(italic(line))
    label = _("Next goal") if index + 1 < len(goals) else _("Next: your choice")
    return _buttons(turn, screen, label, more=True)


def question(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Which Leitziel matters most to you?")))
    screen.text.para(_("One tap. We only count how often each one is chosen, not who chose it."))
    for goal in turn.content.leitziele:
        screen.button(localized(turn, goal.title), f"choose:{goal.id}")
    screen.pair((_("Back"), "back"), (_("Next: the target pictures"), "next"))
    return screen


def zielbilder(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    count = len(turn.content.zielbilder)
    screen.text.para(
        bold(
            turn.lang.ngettext("The shared target picture", "The {count} shared target pictures", count).format(
                count=count
            )
        )
    )
    for picture in turn.content.zielbilder:
        if turn.conversation.tour_more:
            screen.text.item(bold(localized(turn, picture.title)), ": ", localized(turn, picture.short))
        else:
            screen.text.item(bold(localized(turn, picture.title)))
    note = working_title_note(turn, turn.content.zielbilder)
    if note:
        screen.text.para(italic(note))
    screen.text.para(_("That was the tour. Which topic would you like to contribute ideas to?"))
    for topic in turn.content.handlungsfelder:
        screen.button(localized(turn, topic.title), f"field:{topic.id}")
    if not turn.conversation.tour_more:
        screen.button(_("Read more"), "more")
    screen.pair((_("Back"), "back"), (_("Main menu"), "menu"))
    return screen


FLOW = Flow(
    name="tour",
    screens={
        "tour_vision": vision,  # the shared vision, its longer text behind "Read more"
        "tour_leitziel": leitziel,  # one Leitziel with its Smart City Charta goals
        "tour_question": question,  # which Leitziel matters most? one tap, then how the city chose
        "tour_zielbilder": zielbilder,  # the three Zielbilder; the Handlungsfelder to go on with
    },
    transitions=[
        {"trigger": "tour", "source": "menu", "dest": "tour_vision", "before": [start_tour]},
        {
            "trigger": "more",
            "source": ["tour_vision", "tour_leitziel", "tour_zielbilder"],
            "dest": None,
            "before": [read_more],
        },
        {"trigger": "next", "source": "tour_vision", "dest": "tour_leitziel", "before": [start_tour]},
        {"trigger": "back", "source": "tour_vision", "dest": "menu", "before": [clear_flow]},
        {
            "trigger": "next",
            "source": "tour_leitziel",
            "dest": "tour_leitziel",
            "conditions": [has_next_leitziel],
            "before": [next_leitziel],
        },
        {"trigger": "next", "source": "tour_leitziel", "dest": "tour_question", "before": [fold]},
        {
            "trigger": "back",
            "source": "tour_leitziel",
            "dest": "tour_leitziel",
            "conditions": [has_previous_leitziel],
            "before": [previous_leitziel],
        },
        {"trigger": "back", "source": "tour_leitziel", "dest": "tour_vision", "before": [fold]},
        {
            "trigger": "choose",
            "source": "tour_question",
            "dest": "tour_zielbilder",
            "conditions": [is_leitziel],
            "before": [record_choice],
        },
        {"trigger": "next", "source": "tour_question", "dest": "tour_zielbilder", "before": [fold]},
        {"trigger": "back", "source": "tour_question", "dest": "tour_leitziel", "before": [last_leitziel]},
        {"trigger": "back", "source": "tour_zielbilder", "dest": "tour_question", "before": [fold]},
        {
            "trigger": "field",
            "source": "tour_zielbilder",
            "dest": "field",
            "conditions": [is_field],
            "before": [set_field],
        },
        {
            "trigger": "skip",
            "source": ["tour_vision", "tour_leitziel", "tour_question"],
            "dest": "menu",
            "before": [clear_flow],
        },
    ],
)
