"""Conditions and effects named in the dialogue table.

Each takes the turn and the argument of the button or command (``field:mobilitaet``
gives ``"mobilitaet"``). Effects write to the store through ``turn.tx``, inside the
event's one transaction; conditions only read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from dialogs import inputs
from dialogs.messages import Attachment, Block, Span, bold
from dialogs.role_commands import commands_for
from dialogs.turn import Turn
from storage import moderation as moderation_db
from storage import personal_data
from storage.models import ALL_CITIES, IdeaStatus, Role
from storage.store import IdeaRecord

Arg = str | None

DRAFT = "draft"
EDITING = "editing"


def _int(arg: Arg) -> int | None:
    return int(arg) if arg is not None and arg.isdigit() and len(arg) < 10 else None


# -- conditions -----------------------------------------------------------------------


def onboarded(turn: Turn, arg: Arg) -> bool:
    return turn.onboarded


def has_city(turn: Turn, arg: Arg) -> bool:
    return turn.resident.city is not None


def is_language(turn: Turn, arg: Arg) -> bool:
    return turn.languages.supports(arg)


def is_city(turn: Turn, arg: Arg) -> bool:
    return arg is not None and turn.content.city(arg) is not None


def is_draft_city(turn: Turn, arg: Arg) -> bool:
    return arg == ALL_CITIES or is_city(turn, arg)


def is_field(turn: Turn, arg: Arg) -> bool:
    return arg is not None and turn.content.field(arg) is not None


def idea_visible(turn: Turn, arg: Arg) -> bool:
    """Approved ideas of the resident's city, and the resident's own ideas in any status."""
    idea_id = _int(arg)
    idea = turn.tx.get_idea(idea_id) if idea_id is not None else None
    if idea is None:
        return False
    if idea.author_id is not None and idea.author_id == turn.resident.id:
        return True
    return idea.status == IdeaStatus.APPROVED and idea.city in (turn.resident.city, ALL_CITIES)


def has_next_leitziel(turn: Turn, arg: Arg) -> bool:
    return int(turn.ctx.get("tour", 0)) + 1 < len(turn.content.leitziele)


def is_page(turn: Turn, arg: Arg) -> bool:
    return _int(arg) is not None


def link_is_idea(turn: Turn, arg: Arg) -> bool:
    link = turn.ctx.get("link", "")
    return link.startswith("idea_") and idea_visible(turn, link.removeprefix("idea_"))


def link_is_field(turn: Turn, arg: Arg) -> bool:
    link = turn.ctx.get("link", "")
    number = _int(link.removeprefix("field_")) if link.startswith("field_") else None
    return number is not None and 1 <= number <= len(turn.content.handlungsfelder)


def editing(turn: Turn, arg: Arg) -> bool:
    return bool(turn.ctx.get(EDITING))


def field_preset(turn: Turn, arg: Arg) -> bool:
    return bool(turn.ctx.get(DRAFT, {}).get("field"))


def field_chosen(turn: Turn, arg: Arg) -> bool:
    return is_field(turn, turn.ctx.get("field"))


def arg_is(expected: str) -> Callable[[Turn, Arg], bool]:
    def matches(turn: Turn, arg: Arg) -> bool:
        return arg == expected

    matches.__name__ = f"arg_is_{expected}"
    return matches


def came_from_my_ideas(turn: Turn, arg: Arg) -> bool:
    return turn.ctx.get("back") == "my_ideas"


def valid_title(turn: Turn, arg: Arg) -> bool:
    return inputs.check_title(turn.inbound.text).problem is None


def valid_description(turn: Turn, arg: Arg) -> bool:
    return inputs.check_description(turn.inbound.text).problem is None


# -- effects: onboarding and settings -------------------------------------------------


def remember_link(turn: Turn, arg: Arg) -> None:
    """Keep a deep link (``idea_42``, ``field_3``) until the resident is onboarded."""
    if arg and (arg.startswith("idea_") or arg.startswith("field_")) and len(arg) <= 20:
        turn.ctx["link"] = arg
    else:
        turn.ctx.pop("link", None)


def open_link(turn: Turn, arg: Arg) -> None:
    link = turn.ctx.pop("link", "")
    if link.startswith("idea_"):
        turn.ctx["idea"] = int(link.removeprefix("idea_"))
        turn.ctx["back"] = "menu"
    elif link.startswith("field_"):
        number = int(link.removeprefix("field_"))
        turn.ctx["field"] = turn.content.handlungsfelder[number - 1].id


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


def clear_flow(turn: Turn, arg: Arg) -> None:
    """Forget a half-finished flow (a draft, a tour position), keep the deep link."""
    for key in (DRAFT, EDITING, "tour", "page", "idea", "back", "bc"):
        turn.ctx.pop(key, None)


def leave_flow(turn: Turn, arg: Arg) -> None:
    """Leave for another part of the dialogue; say so if that drops an unsent draft."""
    had_draft = DRAFT in turn.ctx
    clear_flow(turn, arg)
    if had_draft:
        _ = turn.lang.gettext
        turn.note(_("Your unsent idea was discarded."))


def say_cancelled(turn: Turn, arg: Arg) -> None:
    had_draft = DRAFT in turn.ctx
    clear_flow(turn, arg)
    _ = turn.lang.gettext
    if had_draft:
        turn.note(_("Cancelled. Your draft was not saved."))
    else:
        turn.note(_("Cancelled."))


def show_help(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    turn.note(bold(_("How this works")))
    turn.note(_("Choose an option with its button, or type its name."))
    turn.note(_("These commands work at any time:"))
    for line in (
        _("/start – start from the beginning"),
        _("/menu – back to the main menu"),
        _("/cancel – cancel what you are doing"),
        _("/language – change the language"),
        _("/privacy – see, export or delete your data"),
        _("/stop – receive no more news"),
        _("/help – this help"),
    ):
        turn.notes.append(Block((Span(line),), item=True))
    identity = turn.inbound.identity
    roles = {grant.role for grant in moderation_db.roles_of(turn.tx, identity.platform, identity.user_id)}
    if identity in turn.admins:
        roles.add(Role.ADMIN)
    commands = commands_for(roles)
    if commands:
        turn.note(_("Your commands for your role:"))
    for name, text in commands:
        turn.notes.append(Block((Span(f"/{name} – {_(text)}"),), item=True))


# -- effects: tour and browsing ---------------------------------------------------------


def start_tour(turn: Turn, arg: Arg) -> None:
    turn.ctx["tour"] = 0


def next_leitziel(turn: Turn, arg: Arg) -> None:
    turn.ctx["tour"] = int(turn.ctx.get("tour", 0)) + 1


def set_field(turn: Turn, arg: Arg) -> None:
    turn.ctx["field"] = arg
    turn.ctx["page"] = 0


def set_page(turn: Turn, arg: Arg) -> None:
    turn.ctx["page"] = max(0, _int(arg) or 0)


def open_idea_from_list(turn: Turn, arg: Arg) -> None:
    turn.ctx["idea"] = _int(arg)
    turn.ctx["back"] = "ideas"


def open_idea_from_reaction(turn: Turn, arg: Arg) -> None:
    turn.ctx["idea"] = _int(arg)
    turn.ctx["back"] = "menu"


def open_idea_from_mine(turn: Turn, arg: Arg) -> None:
    turn.ctx["idea"] = _int(arg)
    turn.ctx["back"] = "my_ideas"


def _idea_open_for_votes(turn: Turn) -> IdeaRecord | None:
    """The idea on screen, its row locked; None (and a polite note) if it is no longer published.

    Checked under the lock: a merge, hide or rejection that committed a moment ago is seen.
    """
    _ = turn.lang.gettext
    idea_id = turn.ctx.get("idea")
    idea = turn.tx.lock_idea(idea_id) if isinstance(idea_id, int) else None
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
    else:
        turn.note(_("You already support this idea."))


def withdraw(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    idea = _idea_open_for_votes(turn)
    if idea is None:
        return
    if turn.tx.remove_vote(turn.resident.id, idea.id):
        turn.note(_("You no longer support this idea."))
    else:
        turn.note(_("You did not support this idea."))


# -- effects: submitting an idea -----------------------------------------------------------


def start_draft(turn: Turn, arg: Arg) -> None:
    clear_flow(turn, arg)
    field = turn.ctx.get("field") if arg == "here" else None
    turn.ctx[DRAFT] = {"field": field} if field else {}


def start_editing(turn: Turn, arg: Arg) -> None:
    turn.ctx[EDITING] = True


def set_title(turn: Turn, arg: Arg) -> None:
    turn.ctx[DRAFT]["title"] = inputs.check_title(turn.inbound.text).value
    turn.ctx.pop(EDITING, None)


def set_description(turn: Turn, arg: Arg) -> None:
    turn.ctx[DRAFT]["description"] = inputs.check_description(turn.inbound.text).value
    turn.ctx.pop(EDITING, None)


def set_draft_field(turn: Turn, arg: Arg) -> None:
    turn.ctx[DRAFT]["field"] = arg
    turn.ctx.pop(EDITING, None)


def set_draft_city(turn: Turn, arg: Arg) -> None:
    turn.ctx[DRAFT]["city"] = arg
    turn.ctx.pop(EDITING, None)


def explain_title(turn: Turn, arg: Arg) -> None:
    explain_problem(turn, inputs.check_title(turn.inbound.text), inputs.TITLE_MIN, inputs.TITLE_MAX)


def explain_description(turn: Turn, arg: Arg) -> None:
    checked = inputs.check_description(turn.inbound.text)
    explain_problem(turn, checked, inputs.DESCRIPTION_MIN, inputs.DESCRIPTION_MAX)


def explain_problem(turn: Turn, checked: inputs.Checked, minimum: int, maximum: int) -> None:
    _ = turn.lang.gettext
    number = turn.lang.number
    problem = checked.problem
    if problem is inputs.Problem.TOO_LONG:
        turn.note(
            _("Your text has {length} characters. Please shorten it to at most {maximum}.").format(
                length=number(checked.length), maximum=number(maximum)
            )
        )
    elif problem is inputs.Problem.TOO_SHORT:
        turn.note(
            _("Your text has {length} characters. Please write at least {minimum}.").format(
                length=number(checked.length), minimum=number(minimum)
            )
        )
    elif problem is inputs.Problem.NO_WORDS:
        turn.note(_("Please describe your idea in words."))
    else:
        turn.note(_("I did not receive any text. Please type your answer."))


def save_idea(turn: Turn, arg: Arg) -> None:
    draft = turn.ctx.pop(DRAFT)
    idea_id = turn.tx.create_idea(
        title=draft["title"],
        description=draft["description"],
        field_id=draft["field"],
        city=draft["city"],
        author_id=turn.resident.id,
        now=turn.now,
    )
    clear_flow(turn, arg)
    turn.submitted_idea = idea_id
    _ = turn.lang.gettext
    turn.note(bold(_("Thank you! Your idea has been received (no. {number}).").format(number=idea_id)))
    turn.note(
        _(
            "What happens next: the moderation team of the Smart-City office checks it, usually "
            "within a few working days. Once it is published, others can support it. You can "
            "follow its status under “My ideas”."
        )
    )


def may_not_submit(turn: Turn, arg: Arg) -> bool:
    """Barred by a moderator, or today's submissions used up."""
    if moderation_db.barred_reason(turn.tx, turn.resident.id) is not None:
        return True
    since = turn.now - timedelta(days=1)
    return moderation_db.submissions_since(turn.tx, turn.resident.id, since) >= turn.submission_limit


def explain_no_submit(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    reason = moderation_db.barred_reason(turn.tx, turn.resident.id)
    if reason is not None:
        turn.note(
            _("You cannot submit ideas at the moment. The moderation team gave this reason: {reason}").format(
                reason=reason
            )
        )
        return
    limit = turn.submission_limit
    turn.note(
        turn.lang.ngettext(
            "You have submitted {count} idea in the last 24 hours, the most we accept. Please try again later.",
            "You have submitted {count} ideas in the last 24 hours, the most we accept. Please try again later.",
            limit,
        ).format(count=turn.lang.number(limit))
    )


def draft_complete(turn: Turn, arg: Arg) -> bool:
    draft = turn.ctx.get(DRAFT, {})
    return all(draft.get(key) for key in ("title", "description", "field", "city"))


# -- effects: privacy ---------------------------------------------------------------------


def export_data(turn: Turn, arg: Arg) -> None:
    resident = turn.resident
    who = personal_data.Person(resident.id, resident.platform, resident.user_id, resident.chat_id)
    data: dict[str, object] = {"exported_at": turn.now.isoformat(), **personal_data.export(turn.tx, who)}
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    turn.attachment = Attachment("mitmach-bot-meine-daten.json", "application/json", content)
    _ = turn.lang.gettext
    turn.note(_("Here is everything we have stored about you, as a JSON file."))


def delete_data(turn: Turn, arg: Arg) -> None:
    """The engine erases everything about the resident (storage/personal_data.py) once the event is handled."""
    turn.deleted = True
