"""Staff compose a broadcast in the chat: text, audience, preview with the exact count, send.

The draft lives in the staff member's conversation (context key ``bc``). The staff
role is checked when composing starts and again when the broadcast is sent; the
audience must be one the staff member may reach (their city, or every city).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dialogs import inputs
from dialogs.actions import explain_problem
from dialogs.messages import bold
from dialogs.moderation import grants, refuse
from dialogs.news import BUTTON_LABELS, broadcast_reply
from dialogs.screens import Screen, city_name, field_title
from dialogs.turn import Turn
from storage import moderation as moderation_db
from storage import outbox
from storage.models import ALL_CITIES, IdeaStatus, Role
from storage.subscriptions import Audience, audience_size

DRAFT = "bc"
TEXT_MIN, TEXT_MAX = 10, 3000
ZONE = ZoneInfo("Europe/Berlin")
"""The cities' time zone: times are typed and shown in it."""
LATEST = timedelta(days=90)
TIME_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%y %H:%M", "%d.%m. %H:%M", "%H:%M")
STATES = ("bc_text", "bc_audience", "bc_field", "bc_preview", "bc_idea", "bc_button", "bc_when")


def _draft(turn: Turn) -> dict[str, object]:
    draft = turn.ctx.setdefault(DRAFT, {})
    assert isinstance(draft, dict)
    return draft


def staff_cities(turn: Turn) -> list[str]:
    """The cities whose subscribers this person may write to: ["all"] for admins and staff of all cities."""
    cities = []
    for grant in grants(turn):
        if grant.role is Role.ADMIN or (grant.role is Role.STAFF and grant.city == ALL_CITIES):
            return [ALL_CITIES]
        if grant.role is Role.STAFF:
            cities.append(grant.city)
    return cities


def audience_of(turn: Turn) -> Audience | None:
    draft = _draft(turn)
    if "audience" not in draft:
        return None
    city, field = draft.get("city"), draft.get("field")
    return Audience(city if isinstance(city, str) else None, field if isinstance(field, str) else None)


def allowed(turn: Turn, audience: Audience) -> bool:
    cities = staff_cities(turn)
    return ALL_CITIES in cities or audience.city in cities


# -- conditions -------------------------------------------------------------------------------


def is_staff(turn: Turn, arg: str | None) -> bool:
    return bool(staff_cities(turn))


def valid_text(turn: Turn, arg: str | None) -> bool:
    return _check(turn).problem is None


def has_audience(turn: Turn, arg: str | None) -> bool:
    return audience_of(turn) is not None


def audience_choice_allowed(turn: Turn, arg: str | None) -> bool:
    audience = _audience_from_arg(turn, arg)
    return audience is not None and allowed(turn, audience)


def may_send(turn: Turn, arg: str | None) -> bool:
    """Checked when sending: still staff, and still allowed to reach this audience."""
    audience = audience_of(turn)
    return is_staff(turn, arg) and audience is not None and allowed(turn, audience) and "text" in _draft(turn)


def is_published_idea(turn: Turn, arg: str | None) -> bool:
    text = turn.inbound.text.strip().lstrip("#")
    idea = turn.tx.get_idea(int(text)) if text.isdigit() and len(text) < 10 else None
    return idea is not None and idea.status == IdeaStatus.APPROVED


def is_button_kind(turn: Turn, arg: str | None) -> bool:
    return arg in BUTTON_LABELS


def valid_time(turn: Turn, arg: str | None) -> bool:
    return parse_time(turn.inbound.text, turn.now) is not None


# -- effects ------------------------------------------------------------------------------------


def start(turn: Turn, arg: str | None) -> None:
    turn.ctx[DRAFT] = {}


def refuse_command(turn: Turn, arg: str | None) -> None:
    turn.screen_override = refuse(turn, "broadcast", "-")


def _check(turn: Turn) -> inputs.Checked:
    return inputs.check(turn.inbound.text, minimum=TEXT_MIN, maximum=TEXT_MAX, single_line=False)


def set_text(turn: Turn, arg: str | None) -> None:
    _draft(turn)["text"] = _check(turn).value


def explain_text(turn: Turn, arg: str | None) -> None:
    explain_problem(turn, _check(turn), TEXT_MIN, TEXT_MAX)


def _audience_from_arg(turn: Turn, arg: str | None) -> Audience | None:
    if arg == ALL_CITIES:
        return Audience()
    if arg is not None and arg.startswith("city:") and turn.content.city(arg[5:]) is not None:
        return Audience(city=arg[5:])
    return None


def set_audience(turn: Turn, arg: str | None) -> None:
    audience = _audience_from_arg(turn, arg)
    if audience is not None:
        _draft(turn).update(audience=True, city=audience.city, field=None)


def _topic_city(turn: Turn) -> str | None:
    """The city a topic audience is limited to: none for staff of all cities, else their city."""
    cities = staff_cities(turn)
    return None if ALL_CITIES in cities or not cities else cities[0]


def set_field_audience(turn: Turn, arg: str | None) -> None:
    _draft(turn).update(audience=True, city=_topic_city(turn), field=arg)


def set_idea(turn: Turn, arg: str | None) -> None:
    _draft(turn)["idea"] = int(turn.inbound.text.strip().lstrip("#"))


def explain_idea(turn: Turn, arg: str | None) -> None:
    _ = turn.lang.gettext
    turn.note(_("Please type the number of a published idea, for example 42."))


def set_button(turn: Turn, arg: str | None) -> None:
    _draft(turn)["button"] = arg


def remove_idea(turn: Turn, arg: str | None) -> None:
    _draft(turn).pop("idea", None)
    _draft(turn).pop("button", None)


def set_time(turn: Turn, arg: str | None) -> None:
    when = parse_time(turn.inbound.text, turn.now)
    if when is not None:
        _draft(turn)["at"] = when.isoformat()


def explain_time(turn: Turn, arg: str | None) -> None:
    _ = turn.lang.gettext
    turn.note(_("Please type a time within the next 90 days, for example 18:30 or 24.12.2026 09:00 (German time)."))


def clear_time(turn: Turn, arg: str | None) -> None:
    _draft(turn).pop("at", None)


def discard(turn: Turn, arg: str | None) -> None:
    turn.ctx.pop(DRAFT, None)
    _ = turn.lang.gettext
    turn.note(_("The message was discarded and not sent."))


def refuse_send(turn: Turn, arg: str | None) -> None:
    turn.ctx.pop(DRAFT, None)
    turn.screen_override = refuse(turn, "broadcast", "-")


def queue(turn: Turn, arg: str | None) -> None:
    """Store the broadcast; it goes out at its time, recipients written just before."""
    draft = _draft(turn)
    audience = audience_of(turn)
    assert audience is not None
    when = _scheduled(turn)
    identity = turn.inbound.identity
    idea = draft.get("idea")
    button = draft.get("button")
    broadcast_id = outbox.create_broadcast(
        turn.tx,
        author=(identity.platform, identity.user_id, turn.inbound.chat_id, turn.lang.code),
        text=str(draft["text"]),
        audience=audience,
        idea_id=idea if isinstance(idea, int) and isinstance(button, str) else None,
        button=button if isinstance(idea, int) and isinstance(button, str) else None,
        send_at=when or turn.now,
        now=turn.now,
    )
    moderation_db.audit(turn.tx, str(identity), "broadcast", f"broadcast:{broadcast_id}", "done", turn.now)
    turn.ctx.pop(DRAFT, None)
    _ = turn.lang.gettext
    if when is None:
        turn.note(
            _("Message no. {number} is being sent. I will keep you informed in a message here.").format(
                number=broadcast_id
            )
        )
    else:
        turn.note(
            _("Message no. {number} is planned for {time}. Send /broadcasts to see or cancel it.").format(
                number=broadcast_id, time=turn.lang.datetime(when, ZONE)
            )
        )


# -- times ---------------------------------------------------------------------------------------


def parse_time(text: str, now: datetime) -> datetime | None:
    """A time typed in German style, read in the cities' time zone; None if unreadable or not ahead."""
    text = " ".join(text.split())
    local_now = now.astimezone(ZONE)
    for form in TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, form)
        except ValueError:
            continue
        if form == "%H:%M":
            when = local_now.replace(hour=parsed.hour, minute=parsed.minute, second=0, microsecond=0)
            if when <= local_now:
                when += timedelta(days=1)
        elif form == "%d.%m. %H:%M":
            when = parsed.replace(year=local_now.year, tzinfo=ZONE)
            if when <= local_now:
                when = when.replace(year=local_now.year + 1)
        else:
            when = parsed.replace(tzinfo=ZONE)
        if now < when <= now + LATEST:
            return when.astimezone(UTC)  # the store keeps UTC
        return None
    return None


def _scheduled(turn: Turn) -> datetime | None:
    at = _draft(turn).get("at")
    if not isinstance(at, str):
        return None
    when = datetime.fromisoformat(at)
    return when if when > turn.now else None


# -- screens -------------------------------------------------------------------------------------


def _with_discard(turn: Turn, screen: Screen) -> Screen:
    _ = turn.lang.gettext
    return screen.button(_("Discard"), "discard")


def text_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("New message to subscribers")))
    screen.text.para(
        _("Please type the message, at most {maximum} characters. An empty line starts a new paragraph.").format(
            maximum=turn.lang.number(TEXT_MAX)
        )
    )
    return _with_discard(turn, screen)


def audience_label(turn: Turn, audience: Audience) -> str:
    _ = turn.lang.gettext
    if audience.field is not None and audience.city is not None:
        return _("Subscribers of “{topic}” in {city}").format(
            topic=field_title(turn, audience.field), city=city_name(turn, audience.city)
        )
    if audience.field is not None:
        return _("Subscribers of “{topic}”").format(topic=field_title(turn, audience.field))
    if audience.city is not None:
        return _("News from {city}").format(city=city_name(turn, audience.city))
    return _("All subscribers")


def audience_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    number = turn.lang.number
    screen = Screen()
    screen.text.para(_("Who should receive it? The figures count the subscribers who can be reached now."))
    choices: list[tuple[Audience, str]] = []
    if ALL_CITIES in staff_cities(turn):
        choices.append((Audience(), ALL_CITIES))
    for city in turn.content.cities:
        audience = Audience(city=city.id)
        if allowed(turn, audience):
            choices.append((audience, f"city:{city.id}"))
    for audience, action in choices:
        size = number(audience_size(turn.tx, audience))
        screen.button(f"{audience_label(turn, audience)} ({size})", f"audience:{action}")
    screen.button(_("Subscribers of one topic"), "audience:field")
    return _with_discard(turn, screen)


def field_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Subscribers of which topic?"))
    city = _topic_city(turn)
    for topic in turn.content.handlungsfelder:
        size = turn.lang.number(audience_size(turn.tx, Audience(city, topic.id)))
        screen.button(f"{field_title(turn, topic.id)} ({size})", f"field:{topic.id}")
    screen.button(_("Back"), "back")
    return screen


def preview_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    number = turn.lang.number
    draft = _draft(turn)
    audience = audience_of(turn) or Audience()
    size = audience_size(turn.tx, audience)
    when = _scheduled(turn)
    idea, button = draft.get("idea"), draft.get("button")
    screen = Screen()
    screen.text.para(bold(_("Preview")))
    reply = broadcast_reply(
        str(draft.get("text", "")),
        idea if isinstance(idea, int) else None,
        button if isinstance(button, str) else None,
        turn.lang,
    )
    screen.text.blocks.extend(reply.blocks)
    for row in reply.buttons:
        for shown in row:
            screen.text.item(_("Button: {label} (idea no. {number})").format(label=shown.label, number=idea))
    recipients = turn.lang.ngettext(
        "Recipients: {audience}, exactly {count} person right now",
        "Recipients: {audience}, exactly {count} people right now",
        size,
    )
    screen.text.item(recipients.format(audience=audience_label(turn, audience), count=number(size)))
    time_text = turn.lang.datetime(when, ZONE) if when else _("now")
    screen.text.item(_("Time: {time}").format(time=time_text))
    if when is not None:
        screen.button(_("Plan for {time}").format(time=time_text), "send")
        screen.button(_("Send now instead"), "now")
    elif size > 0:
        label = turn.lang.ngettext("Send now to {count} person", "Send now to {count} people", size)
        screen.button(label.format(count=number(size)), "send")
    else:
        screen.text.para(_("Nobody would receive this message now. Choose other recipients or a later time."))
    screen.pair((_("Choose a time"), "when"), (_("Edit the text"), "edit_text"))
    screen.pair((_("Other recipients"), "edit_audience"), (_("Button to an idea"), "add_idea"))
    if isinstance(idea, int):
        screen.button(_("Remove the button"), "remove_idea")
    return _with_discard(turn, screen)


def idea_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Which idea should the button open? Please type its number."))
    return screen.button(_("Back"), "back")


def button_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("What should the button say?"))
    for kind, label in BUTTON_LABELS.items():
        screen.button(_(label), f"button:{kind}")
    return screen.button(_("Back"), "back")


def when_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(
        _("When should it be sent? Please type a time, for example 18:30 or 24.12.2026 09:00 (German time).")
    )
    return screen.button(_("Back"), "back")


SCREENS = {
    "bc_text": text_screen,
    "bc_audience": audience_screen,
    "bc_field": field_screen,
    "bc_preview": preview_screen,
    "bc_idea": idea_screen,
    "bc_button": button_screen,
    "bc_when": when_screen,
}
