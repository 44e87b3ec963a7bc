"""The vision tour: the shared vision, the Leitziele one by one, the Zielbilder."""

from __future__ import annotations

from dialogs.flow import Arg, Flow, clear_flow
from dialogs.messages import bold, italic
from dialogs.names import gloss_lines, localized, working_title_note
from dialogs.screen import Screen
from dialogs.turn import Turn


def has_next_leitziel(turn: Turn, arg: Arg) -> bool:
    return turn.conversation.tour_step + 1 < len(turn.content.leitziele)


def start_tour(turn: Turn, arg: Arg) -> None:
    turn.conversation.tour_step = 0


def next_leitziel(turn: Turn, arg: Arg) -> None:
    turn.conversation.tour_step += 1


def _buttons(turn: Turn, screen: Screen, next_label: str) -> Screen:
    _ = turn.lang.gettext
    return screen.pair((next_label, "next"), (_("Skip the tour"), "skip"))


def vision(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    shared = turn.content.vision
    screen = Screen()
    screen.text.para(bold(localized(turn, shared.title)))
    screen.text.para(localized(turn, shared.short))
    screen.text.para(localized(turn, shared.long))
    for line in gloss_lines(turn, shared):
        screen.text.item(italic(line))
    return _buttons(turn, screen, _("Next: the goals"))


def leitziel(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    goals = turn.content.leitziele
    index = min(turn.conversation.tour_step, len(goals) - 1)
    goal = goals[index]
    screen = Screen()
    heading = _("Goal {number} of {total}").format(number=index + 1, total=len(goals))
    screen.text.para(italic(heading))
    screen.text.para(bold(localized(turn, goal.title)))
    screen.text.para(localized(turn, goal.long))
    screen.text.para(_("Goals of the Smart City Charter:"))
    for charta in goal.charta:
        screen.text.item(localized(turn, charta))
    for line in gloss_lines(turn, goal):
        screen.text.item(italic(line))
    label = _("Next goal") if index + 1 < len(goals) else _("Next: the target pictures")
    return _buttons(turn, screen, label)


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
        screen.text.item(bold(localized(turn, picture.title)), ": ", localized(turn, picture.short))
    note = working_title_note(turn, turn.content.zielbilder)
    if note:
        screen.text.para(italic(note))
    screen.text.para(_("That was the tour. Which topic would you like to contribute ideas to?"))
    screen.button(_("Ideas by topic"), "fields")
    screen.button(_("Main menu"), "menu")
    return screen


FLOW = Flow(
    name="tour",
    screens={
        "tour_vision": vision,  # the shared vision
        "tour_leitziel": leitziel,  # one Leitziel with its Smart City Charta goals
        "tour_zielbilder": zielbilder,  # the three Zielbilder, end of the tour
    },
    transitions=[
        {"trigger": "tour", "source": "menu", "dest": "tour_vision"},
        {"trigger": "next", "source": "tour_vision", "dest": "tour_leitziel", "before": [start_tour]},
        {
            "trigger": "next",
            "source": "tour_leitziel",
            "dest": "tour_leitziel",
            "conditions": [has_next_leitziel],
            "before": [next_leitziel],
        },
        {"trigger": "next", "source": "tour_leitziel", "dest": "tour_zielbilder"},
        {"trigger": "skip", "source": ["tour_vision", "tour_leitziel"], "dest": "menu", "before": [clear_flow]},
    ],
)
