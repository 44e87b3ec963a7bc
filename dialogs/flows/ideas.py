"""Browsing: the Handlungsfelder, the published ideas of one (paged by support), one idea, votes.

A reaction (👍 on Matrix) on an idea's message supports it or takes the support back,
from wherever the resident is.
"""

from __future__ import annotations

import math

from dialogs.flow import Arg, Effect, Flow, as_int, leave_flow, onboarded
from dialogs.flows import news
from dialogs.messages import Span, bold, italic
from dialogs.names import PROGRESS_NAMES, STATUS_NAMES, city_name, field_title, localized, short, working_title_note
from dialogs.screen import Row, Screen
from dialogs.turn import Turn
from storage.models import IdeaStatus, Progress
from storage.store import IdeaRecord, IdeaSummary

PAGE_SIZE = 5

# -- conditions -------------------------------------------------------------------------------


def is_field(turn: Turn, arg: Arg) -> bool:
    return arg is not None and turn.content.field(arg) is not None


def idea_visible(turn: Turn, arg: Arg) -> bool:
    """Published ideas of either city (a link from a friend in the other one opens too), and the
    resident's own ideas in any status. The lists show the resident's city only."""
    idea_id = as_int(arg)
    idea = turn.tx.get_idea(idea_id) if idea_id is not None else None
    if idea is None:
        return False
    if idea.author_id is not None and idea.author_id == turn.resident.id:
        return True
    return idea.status == IdeaStatus.APPROVED


def is_page(turn: Turn, arg: Arg) -> bool:
    return as_int(arg) is not None


def idea_published(turn: Turn, arg: Arg) -> bool:
    """The idea on screen is published: only then is there something to invite others to."""
    return _published(turn) is not None


def _published(turn: Turn) -> IdeaRecord | None:
    idea_id = turn.conversation.idea
    record = turn.tx.get_idea(idea_id) if idea_id is not None else None
    return record if record is not None and record.status == IdeaStatus.APPROVED else None


def came_from_my_ideas(turn: Turn, arg: Arg) -> bool:
    return turn.conversation.back_to == "my_ideas"


def field_chosen(turn: Turn, arg: Arg) -> bool:
    return is_field(turn, turn.conversation.topic)


# -- effects ----------------------------------------------------------------------------------


def set_field(turn: Turn, arg: Arg) -> None:
    turn.conversation.topic = arg
    turn.conversation.page = 0


def set_page(turn: Turn, arg: Arg) -> None:
    turn.conversation.page = as_int(arg) or 0


def opener(back_to: str) -> Effect:
    """An effect that opens the idea `arg`, with "Back" leading to `back_to`."""

    def open_idea(turn: Turn, arg: Arg) -> None:
        turn.conversation.idea = as_int(arg)
        turn.conversation.back_to = back_to

    open_idea.__name__ = f"open_idea_from_{back_to}"
    return open_idea


def _idea_open_for_votes(turn: Turn) -> IdeaRecord | None:
    """The idea on screen, its row locked; None (and a polite note) if it is no longer published.

    Checked under the lock: a merge, hide or rejection that committed a moment ago is seen.
    """
    _ = turn.lang.gettext
    idea_id = turn.conversation.idea
    idea = turn.tx.lock_idea(idea_id) if idea_id is not None else None
    if idea is None or idea.status != IdeaStatus.APPROVED:
        turn.note(_("Only published ideas can be supported."))
        return None
    return idea


def support(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    idea = _idea_open_for_votes(turn)
    if idea is None:
        return
    if turn.tx.add_vote(turn.resident.id, idea.id, turn.now):
        turn.note(_("Thank you! You now support this idea."))
        news.contributed(turn)
    else:
        turn.note(_("You already support this idea."))


def merged_target_visible(turn: Turn, arg: Arg) -> bool:
    idea_id = turn.conversation.idea
    record = turn.tx.get_idea(idea_id) if idea_id is not None else None
    return record is not None and record.merged_into is not None and idea_visible(turn, str(record.merged_into))


def open_target(turn: Turn, arg: Arg) -> None:
    record = turn.tx.get_idea(turn.conversation.idea or 0)
    turn.conversation.idea = record.merged_into if record is not None else None


def vote_from_list(turn: Turn, arg: Arg) -> None:
    """The 👍 beside an idea in a list: support it, or take the support back, and stay on the list."""
    _ = turn.lang.gettext
    idea_id = as_int(arg)
    idea = turn.tx.lock_idea(idea_id) if idea_id is not None else None
    if idea is None or idea.status != IdeaStatus.APPROVED:
        turn.note(_("Only published ideas can be supported."))
    elif turn.tx.add_vote(turn.resident.id, idea.id, turn.now):
        turn.note(_("Thank you! You now support “{title}”.").format(title=idea.title))
        news.contributed(turn)
    else:
        turn.tx.remove_vote(turn.resident.id, idea.id)
        turn.note(_("You no longer support “{title}”.").format(title=idea.title))


def withdraw(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    idea = _idea_open_for_votes(turn)
    if idea is None:
        return
    if turn.tx.remove_vote(turn.resident.id, idea.id):
        turn.note(_("You no longer support this idea."))
    else:
        turn.note(_("You did not support this idea."))


# -- screens ----------------------------------------------------------------------------------


def fields(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Topics")))
    screen.text.para(_("Choose a topic to see its ideas or to add your own."))
    for topic in turn.content.handlungsfelder:
        screen.button(localized(turn, topic.title), f"field:{topic.id}")
    note = working_title_note(turn, turn.content.handlungsfelder)
    if note:
        screen.text.para(italic(note))
    screen.button(_("Back"), "back")
    return screen


def field_menu(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    topic = turn.content.field(turn.conversation.topic or "")
    screen = Screen()
    if topic is not None:
        screen.text.para(bold(localized(turn, topic.title)))
        screen.text.para(localized(turn, topic.short))
        screen.text.para(localized(turn, topic.long))
        total = turn.tx.count_ideas(topic.id, turn.resident.city or "")
        screen.text.para(
            turn.lang.ngettext(
                "{count} published idea for {city}.", "{count} published ideas for {city}.", total
            ).format(count=turn.lang.number(total), city=city_name(turn, turn.resident.city))
        )
        note = working_title_note(turn, [topic])
        if note:
            screen.text.para(italic(note))
    screen.button(_("Show ideas"), "ideas")
    screen.button(_("Submit an idea on this topic"), "submit:here")
    screen.button(_("Back to the topics"), "back")
    return screen


def _support_label(turn: Turn, idea: IdeaSummary) -> str:
    return f"{short(idea.title)} (👍 {turn.lang.number(idea.support_count)})"


def idea_list(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    field_id = turn.conversation.topic or ""
    city_id = turn.resident.city or ""
    total = turn.tx.count_ideas(field_id, city_id)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(turn.conversation.page, pages - 1)
    turn.conversation.page = page
    screen = Screen()
    screen.text.para(bold(field_title(turn, field_id)), " · ", city_name(turn, city_id))
    if total == 0:
        screen.text.para(_("There are no published ideas here yet. Be the first to submit one!"))
    else:
        screen.text.para(
            _("Page {page} of {pages}, sorted by support. Choose an idea to read it and support it.").format(
                page=page + 1, pages=pages
            )
        )
        for idea in turn.tx.list_ideas(field_id, city_id, page * PAGE_SIZE, PAGE_SIZE):
            # its own 👍 beside each idea: support (or take it back) in one tap, without opening it
            thumb = "👍 ✓" if turn.tx.has_vote(turn.resident.id, idea.id) else "👍"
            screen.pair((_support_label(turn, idea), f"open:{idea.id}"), (thumb, f"vote:{idea.id}"))
    paging: Row = []
    if page > 0:
        paging.append((_("◀ Previous"), f"page:{page - 1}"))
    if page + 1 < pages:
        paging.append((_("Next ▶"), f"page:{page + 1}"))
    if paging:
        screen.pair(*paging)
    if total == 0:
        screen.button(_("Submit an idea on this topic"), "submit:here")
    news.offer_once(turn, screen)
    screen.button(_("Back"), "back")
    return screen


def status_line(turn: Turn, record: IdeaRecord) -> str:
    """One line: what became of a published idea once the offices said so, else its status."""
    _ = turn.lang.gettext
    if record.status == IdeaStatus.APPROVED and record.progress is not None:
        line = _("Status: {status}").format(status=_(PROGRESS_NAMES[Progress(record.progress)]))
        return line + (f" ({record.progress_reason})" if record.progress_reason else "")
    return _("Status: {status}").format(status=_(STATUS_NAMES[IdeaStatus(record.status)]))


def idea(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    idea_id = turn.conversation.idea
    record = turn.tx.get_idea(idea_id) if idea_id is not None else None
    screen = Screen()
    own = record is not None and record.author_id is not None and record.author_id == turn.resident.id
    # an idea hidden, rejected or withdrawn while someone else had it open is not shown to them again
    if record is None or not (own or record.status in (IdeaStatus.APPROVED, IdeaStatus.MERGED)):
        screen.text.para(_("This idea is no longer available."))
        return screen.button(_("Back"), "back")
    screen.text.para(bold(record.title))
    screen.text.para(record.description)
    screen.text.item(_("Topic: {topic}").format(topic=field_title(turn, record.field_id)))
    screen.text.item(_("City: {city}").format(city=city_name(turn, record.city)))
    screen.text.item(status_line(turn, record))
    if record.source:
        screen.text.item(_("Source: {source}").format(source=record.source))
    count = record.support_count
    screen.text.item(
        turn.lang.ngettext("{count} person supports it.", "{count} people support it.", count).format(
            count=turn.lang.number(count)
        )
    )
    note = working_title_note(turn, [turn.content.field(record.field_id)])
    if note:
        screen.text.para(italic(note))
    if own and record.status == IdeaStatus.REJECTED and record.decision_reason:
        screen.text.item(_("Why it was not published: {reason}").format(reason=record.decision_reason))
    target = turn.tx.get_idea(record.merged_into) if record.merged_into is not None else None
    if record.status == IdeaStatus.MERGED and target is not None:
        screen.text.item(_("Merged into no. {number}: {title}").format(number=target.id, title=target.title))
        screen.button(_("To the idea it was merged into"), "open_target")
    if own and record.status == IdeaStatus.PENDING:
        screen.pair((_("✏️ Change title"), "change_mine:title"), (_("✏️ Change description"), "change_mine:description"))
        screen.button(_("Withdraw my idea"), "withdraw_mine")
    if record.status == IdeaStatus.APPROVED:
        if turn.tx.has_vote(turn.resident.id, record.id):
            screen.text.para(italic(_("You support this idea.")))
            screen.button(_("Withdraw my support"), "withdraw")
        else:
            screen.button(_("👍 Support this idea"), "support")
        screen.button(_("Invite friends"), "invite")
    news.offer_once(turn, screen)
    screen.button(_("Back"), "back")
    return screen


def invite(turn: Turn) -> Screen:
    """A link that opens the idea on the resident's own platform; it names the idea and nobody else."""
    _ = turn.lang.gettext
    record = _published(turn)
    screen = Screen()
    if record is None:
        screen.text.para(_("This idea is no longer available."))
        return screen.button(_("Back"), "back")
    invitation = turn.invitations.for_idea(turn.inbound.identity.platform, record.id)
    screen.text.para(bold(record.title))
    if invitation.url is not None:
        screen.text.para(
            _("Share this link with friends and neighbours. It opens this idea, so that they can support it too.")
        )
        screen.text.para(Span(invitation.url, "link", url=invitation.url))
        if invitation.send is not None:
            screen.text.para(_("In the chat that opens, they send this message:"))
            screen.text.para(bold(invitation.send))
    elif invitation.send is not None:
        screen.text.para(_("Others open this idea by sending this message to the bot:"))
        screen.text.para(bold(invitation.send))
    screen.button(_("Back"), "back")
    return screen


FLOW = Flow(
    name="ideas",
    screens={
        "fields": fields,  # the Handlungsfelder to choose from
        "field": field_menu,  # one Handlungsfeld: its text, show ideas, submit here
        "ideas": idea_list,  # approved ideas of the field for the resident's city, paged by support
        "idea": idea,  # one idea: support or withdraw
        "invite": invite,  # a link that opens the idea for others, on the resident's platform
    },
    transitions=[
        # a reaction on an idea's message: support or withdraw, then show the idea
        {
            "trigger": "react_support",
            "source": "*",
            "dest": "idea",
            "conditions": [onboarded, idea_visible],
            "before": [leave_flow, opener("menu"), support],
        },
        {
            "trigger": "react_withdraw",
            "source": "*",
            "dest": "idea",
            "conditions": [onboarded, idea_visible],
            "before": [leave_flow, opener("menu"), withdraw],
        },
        {"trigger": "fields", "source": ["menu", "tour_zielbilder"], "dest": "fields"},
        {"trigger": "back", "source": "fields", "dest": "menu"},
        {"trigger": "field", "source": "fields", "dest": "field", "conditions": [is_field], "before": [set_field]},
        {"trigger": "back", "source": "field", "dest": "fields"},
        {"trigger": "ideas", "source": "field", "dest": "ideas", "before": [set_page]},
        {"trigger": "page", "source": "ideas", "dest": "ideas", "conditions": [is_page], "before": [set_page]},
        {
            "trigger": "open",
            "source": "ideas",
            "dest": "idea",
            "conditions": [idea_visible],
            "before": [opener("ideas")],
        },
        {"trigger": "back", "source": "ideas", "dest": "field"},
        {"trigger": "vote", "source": "ideas", "dest": None, "conditions": [idea_visible], "before": [vote_from_list]},
        {"trigger": "support", "source": "idea", "dest": None, "before": [support]},
        {
            "trigger": "open_target",
            "source": "idea",
            "dest": "idea",
            "conditions": [merged_target_visible],
            "before": [open_target],
        },
        {"trigger": "withdraw", "source": "idea", "dest": None, "before": [withdraw]},
        {"trigger": "invite", "source": "idea", "dest": "invite", "conditions": [idea_published]},
        {"trigger": "back", "source": "invite", "dest": "idea"},
        {"trigger": "back", "source": "idea", "dest": "my_ideas", "conditions": [came_from_my_ideas]},
        {"trigger": "back", "source": "idea", "dest": "ideas", "conditions": [field_chosen]},
        {"trigger": "back", "source": "idea", "dest": "menu"},
    ],
)
