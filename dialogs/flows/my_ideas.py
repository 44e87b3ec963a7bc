"""My ideas: the resident's own ideas with their status; each opens in the idea view."""

from __future__ import annotations

from dialogs.flow import Flow
from dialogs.flows.ideas import idea_visible, opener
from dialogs.messages import bold
from dialogs.names import STATUS_NAMES, short
from dialogs.screen import Screen
from dialogs.turn import Turn
from storage.models import IdeaStatus

SHOWN = 20


def my_ideas(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    mine = turn.tx.ideas_of_author(turn.resident.id)
    screen = Screen()
    screen.text.para(bold(_("My ideas")))
    if not mine:
        screen.text.para(_("You have not submitted an idea yet."))
        screen.button(_("Submit an idea"), "submit")
    for record in mine[:SHOWN]:
        status = _(STATUS_NAMES[IdeaStatus(record.status)])
        screen.text.item(
            _("“{title}”, submitted on {date}: {status}").format(
                title=record.title, date=turn.lang.date(record.created_at), status=status
            )
        )
        screen.button(short(record.title), f"open:{record.id}")
    screen.button(_("Back"), "back")
    return screen


FLOW = Flow(
    name="my_ideas",
    screens={
        "my_ideas": my_ideas,  # the resident's own ideas with their status
    },
    transitions=[
        {"trigger": "my_ideas", "source": "menu", "dest": "my_ideas"},
        {
            "trigger": "open",
            "source": "my_ideas",
            "dest": "idea",
            "conditions": [idea_visible],
            "before": [opener("my_ideas")],
        },
        {"trigger": "back", "source": "my_ideas", "dest": "menu"},
    ],
)
