"""My ideas: the resident's own ideas with their status; each opens in the idea view.

From the view of a pending idea its author changes the title or the description (the
moderators hear of the change) or withdraws it.
"""

from __future__ import annotations

from dialogs import inputs
from dialogs.flow import Arg, Flow
from dialogs.flows import submit
from dialogs.flows.ideas import idea_visible, opener
from dialogs.messages import bold, italic
from dialogs.names import STATUS_NAMES, short
from dialogs.screen import Screen
from dialogs.turn import Turn
from storage import moderation as db
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
        if record.status == IdeaStatus.REJECTED and record.decision_reason:
            screen.text.item(_("Why it was not published: {reason}").format(reason=record.decision_reason))
        screen.button(short(record.title), f"open:{record.id}")
    screen.button(_("Back"), "back")
    return screen


def own_pending(turn: Turn, arg: Arg) -> bool:
    """The idea on screen is the resident's own and still waits for a decision."""
    idea_id = turn.conversation.idea
    record = turn.tx.get_idea(idea_id) if idea_id is not None else None
    return record is not None and record.author_id == turn.resident.id and record.status == IdeaStatus.PENDING


def is_part(turn: Turn, arg: Arg) -> bool:
    return arg in ("title", "description")


def valid_change(turn: Turn, arg: Arg) -> bool:
    check = inputs.check_title if turn.conversation.editing_idea == "title" else inputs.check_description
    return check(turn.inbound.text).problem is None


def start_change(turn: Turn, arg: Arg) -> None:
    turn.conversation.editing_idea = arg


def save_change(turn: Turn, arg: Arg) -> None:
    """Store the new text; the moderators are told that the idea changed."""
    _ = turn.lang.gettext
    record = turn.tx.get_idea(turn.conversation.idea or 0)
    part = turn.conversation.editing_idea
    turn.conversation.editing_idea = None
    if record is None or part is None:
        return
    title = inputs.check_title(turn.inbound.text).value if part == "title" else record.title
    description = inputs.check_description(turn.inbound.text).value if part == "description" else record.description
    if db.edit_pending(turn.tx, record.id, turn.resident.id, title, description, turn.now):
        turn.changed_idea = record.id
        turn.note(_("Your change is saved. The moderation team will look at your idea again."))
    else:
        turn.note(_("Your idea was decided meanwhile and can no longer be changed."))


def explain_change(turn: Turn, arg: Arg) -> None:
    if turn.conversation.editing_idea == "title":
        submit.explain_title(turn, arg)
    else:
        submit.explain_description(turn, arg)


def stop_change(turn: Turn, arg: Arg) -> None:
    turn.conversation.editing_idea = None


def withdraw_idea(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    if db.withdraw_pending(turn.tx, turn.conversation.idea or 0, turn.resident.id, turn.now):
        turn.note(_("Your idea has been withdrawn. It will not be published."))
    else:
        turn.note(_("Your idea was decided meanwhile and can no longer be withdrawn."))


def change(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    record = turn.tx.get_idea(turn.conversation.idea or 0)
    screen = Screen()
    if turn.conversation.editing_idea == "title":
        screen.text.para(
            _("Please type the new title (at most {maximum} characters).").format(
                maximum=turn.lang.number(inputs.TITLE_MAX)
            )
        )
        screen.text.para(italic(record.title if record else ""))
    else:
        screen.text.para(
            _("Please type the new description (at most {maximum} characters).").format(
                maximum=turn.lang.number(inputs.DESCRIPTION_MAX)
            )
        )
    return screen.button(_("Back"), "back")


def confirm_withdraw(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    record = turn.tx.get_idea(turn.conversation.idea or 0)
    screen = Screen()
    screen.text.para(bold(_("Withdraw your idea?")))
    screen.text.para(italic(record.title if record else ""))
    screen.text.para(_("It will not be published, and the moderation team will not look at it any more."))
    screen.button(_("Yes, withdraw it"), "confirm_withdraw")
    return screen.button(_("Back"), "back")


FLOW = Flow(
    name="my_ideas",
    screens={
        "my_ideas": my_ideas,  # the resident's own ideas with their status
        "mine_change": change,  # type a new title or description for one's pending idea
        "mine_withdraw": confirm_withdraw,  # withdraw one's pending idea? yes, or back
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
        {
            "trigger": "change_mine",
            "source": "idea",
            "dest": "mine_change",
            "conditions": [own_pending, is_part],
            "before": [start_change],
        },
        {
            "trigger": "text",
            "source": "mine_change",
            "dest": "idea",
            "conditions": [valid_change],
            "before": [save_change],
        },
        {"trigger": "text", "source": "mine_change", "dest": None, "before": [explain_change]},
        {"trigger": "back", "source": "mine_change", "dest": "idea", "before": [stop_change]},
        {"trigger": "withdraw_mine", "source": "idea", "dest": "mine_withdraw", "conditions": [own_pending]},
        {"trigger": "confirm_withdraw", "source": "mine_withdraw", "dest": "my_ideas", "before": [withdraw_idea]},
        {"trigger": "back", "source": "mine_withdraw", "dest": "idea"},
    ],
)
