"""Privacy: what is stored, the data export, and deleting everything (storage/personal_data.py).

The export and the erasure are assembled here and nowhere else: both from the registry in
storage/personal_data.py, for the person behind the event.
"""

from __future__ import annotations

import json

from dialogs.flow import Arg, Command, Flow, leave_flow, onboarded
from dialogs.i18n import N_
from dialogs.messages import Attachment, bold
from dialogs.screen import Screen
from dialogs.turn import Turn
from storage import personal_data

EXPORT_FILENAME = "mitmach-bot-meine-daten.json"


def _person(turn: Turn) -> personal_data.Person:
    resident = turn.resident
    return personal_data.Person(resident.id, resident.platform, resident.user_id, resident.chat_id)


def export_data(turn: Turn, arg: Arg) -> None:
    data: dict[str, object] = {"exported_at": turn.now.isoformat(), **personal_data.export(turn.tx, _person(turn))}
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    turn.attachment = Attachment(EXPORT_FILENAME, "application/json", content)
    _ = turn.lang.gettext
    turn.note(_("Here is everything we have stored about you, as a JSON file."))


def delete_data(turn: Turn, arg: Arg) -> None:
    """Erase everything about the resident; the engine then saves nothing and keeps no reply."""
    personal_data.erase(turn.tx, _person(turn))
    turn.deleted = True


def privacy(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Your data")))
    screen.text.para(
        _(
            "We store only what the bot needs: your account on this platform, your language and "
            "city, where you are in the conversation, the ideas you submitted, the ideas you "
            "support and the news you subscribed to. Nobody else sees who supports an idea."
        )
    )
    screen.button(_("Export my data"), "export")
    screen.button(_("Delete my data"), "delete")
    screen.button(_("Back"), "back")
    return screen


def confirm_delete(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Really delete your data?")))
    screen.text.para(
        _(
            "This deletes your account, your settings, your support for ideas and this "
            "conversation. Ideas you submitted stay, without your name. This cannot be undone."
        )
    )
    screen.button(_("Yes, delete my data"), "confirm_delete")
    screen.button(_("No, go back"), "back")
    return screen


def farewell(turn: Turn) -> Screen:
    """The last reply after the erasure; it has no buttons, since nothing is left to press them on."""
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Your data has been deleted. Thank you for taking part!"))
    screen.text.para(_("If you want to start again, send /start."))
    return screen


FLOW = Flow(
    name="privacy",
    screens={
        "privacy": privacy,  # what is stored; export or delete
        "privacy_delete": confirm_delete,  # confirm the deletion
    },
    transitions=[
        {"trigger": "privacy", "source": "*", "dest": "privacy", "before": [leave_flow]},
        {"trigger": "export", "source": "privacy", "dest": None, "before": [export_data]},
        {"trigger": "delete", "source": "privacy", "dest": "privacy_delete"},
        {"trigger": "back", "source": "privacy", "dest": "menu", "conditions": [onboarded]},
        {"trigger": "back", "source": "privacy", "dest": "language"},
        {"trigger": "confirm_delete", "source": "privacy_delete", "dest": "new", "before": [delete_data]},
        {"trigger": "back", "source": "privacy_delete", "dest": "privacy"},
    ],
    commands=(Command("privacy", N_("Your data: see, export, delete"), aliases=("datenschutz",)),),
)
