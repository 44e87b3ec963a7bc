"""Broadcasts: staff compose a message to subscribers in the chat, and follow or stop it.

Composing: text, audience, preview with the exact count, send. The draft lives in the
staff member's conversation (`BroadcastDraft`). The staff role is checked when composing
starts and again when the broadcast is sent; the audience must be one the staff member may
reach (their city, or every city). /broadcasts lists past and running broadcasts with their
delivery figures, with buttons to pause, resume or cancel (the ``bc`` action).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dialogs import inputs
from dialogs.conversation import BroadcastDraft
from dialogs.flow import Arg, Command, Flow, arg_is, leave_flow
from dialogs.flows.ideas import is_field
from dialogs.flows.news import BUTTON_LABELS, broadcast_reply
from dialogs.flows.submit import explain_problem
from dialogs.i18n import N_, Language
from dialogs.messages import Block, Reply, Span, bold
from dialogs.names import city_name, field_title
from dialogs.roles import STAFF, done_screen, grants_of, is_staff, refuse
from dialogs.screen import Screen
from dialogs.turn import Turn
from storage import moderation as moderation_db
from storage import outbox
from storage.models import ALL_CITIES, BroadcastStatus, IdeaStatus, Role
from storage.subscriptions import Audience, audience_size

TEXT_MIN, TEXT_MAX = 10, 3000
ZONE = ZoneInfo("Europe/Berlin")
"""The cities' time zone: times are typed and shown in it."""
LATEST = timedelta(days=90)
STEPS = [
    "broadcast_text",
    "broadcast_audience",
    "broadcast_field",
    "broadcast_preview",
    "broadcast_idea",
    "broadcast_button",
    "broadcast_when",
    "broadcast_language",
    "broadcast_translation",
]
"""The steps of composing, named as nested states of ``broadcast``; "Discard" leaves from each."""
TIME_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%y %H:%M", "%d.%m. %H:%M", "%H:%M")


def _draft(turn: Turn) -> BroadcastDraft:
    if turn.conversation.broadcast_draft is None:
        turn.conversation.broadcast_draft = BroadcastDraft()
    return turn.conversation.broadcast_draft


def staff_cities(turn: Turn) -> list[str]:
    """The cities whose subscribers this person may write to: ["all"] for admins and staff of all cities."""
    cities = []
    for grant in grants_of(turn):
        if grant.role is Role.ADMIN or (grant.role is Role.STAFF and grant.city == ALL_CITIES):
            return [ALL_CITIES]
        if grant.role is Role.STAFF:
            cities.append(grant.city)
    return cities


def audience_of(turn: Turn) -> Audience | None:
    draft = turn.conversation.broadcast_draft
    if draft is None or not draft.audience_chosen:
        return None
    return Audience(draft.city, draft.field)


def allowed(turn: Turn, audience: Audience) -> bool:
    cities = staff_cities(turn)
    return ALL_CITIES in cities or audience.city in cities


# -- conditions -------------------------------------------------------------------------------


def may_broadcast(turn: Turn, arg: Arg) -> bool:
    return bool(staff_cities(turn))


def valid_text(turn: Turn, arg: Arg) -> bool:
    return _check(turn).problem is None


def has_audience(turn: Turn, arg: Arg) -> bool:
    return audience_of(turn) is not None


def audience_choice_allowed(turn: Turn, arg: Arg) -> bool:
    audience = _audience_from_arg(turn, arg)
    return audience is not None and allowed(turn, audience)


def may_send(turn: Turn, arg: Arg) -> bool:
    """Checked when sending: still staff, and still allowed to reach this audience."""
    audience = audience_of(turn)
    draft = turn.conversation.broadcast_draft
    return may_broadcast(turn, arg) and audience is not None and allowed(turn, audience) and bool(draft and draft.text)


def is_published_idea(turn: Turn, arg: Arg) -> bool:
    text = turn.inbound.text.strip().lstrip("#")
    idea = turn.tx.get_idea(int(text)) if text.isdigit() and len(text) < 10 else None
    return idea is not None and idea.status == IdeaStatus.APPROVED


def is_button_kind(turn: Turn, arg: Arg) -> bool:
    return arg in BUTTON_LABELS


def is_other_language(turn: Turn, arg: Arg) -> bool:
    """A language of the bot other than the one the message is written in."""
    return arg is not None and arg != turn.lang.code and turn.languages.supports(arg)


def valid_time(turn: Turn, arg: Arg) -> bool:
    return parse_time(turn.inbound.text, turn.now) is not None


# -- effects ------------------------------------------------------------------------------------


def start(turn: Turn, arg: Arg) -> None:
    turn.conversation.broadcast_draft = BroadcastDraft()


def refuse_command(turn: Turn, arg: Arg) -> None:
    turn.screen_override = refuse(turn, "broadcast", "-")


def _check(turn: Turn) -> inputs.Checked:
    return inputs.check(turn.inbound.text, minimum=TEXT_MIN, maximum=TEXT_MAX, single_line=False)


def set_text(turn: Turn, arg: Arg) -> None:
    _draft(turn).text = _check(turn).value


def explain_text(turn: Turn, arg: Arg) -> None:
    explain_problem(turn, _check(turn), TEXT_MIN, TEXT_MAX)


def _audience_from_arg(turn: Turn, arg: Arg) -> Audience | None:
    if arg == ALL_CITIES:
        return Audience()
    if arg is not None and arg.startswith("city:") and turn.content.city(arg[5:]) is not None:
        return Audience(city=arg[5:])
    return None


def set_audience(turn: Turn, arg: Arg) -> None:
    audience = _audience_from_arg(turn, arg)
    if audience is not None:
        draft = _draft(turn)
        draft.audience_chosen, draft.city, draft.field = True, audience.city, None


def topic_city(turn: Turn) -> str | None:
    """The city a topic audience is limited to: none for staff of all cities, else their city."""
    cities = staff_cities(turn)
    return None if ALL_CITIES in cities or not cities else cities[0]


def set_field_audience(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    draft.audience_chosen, draft.city, draft.field = True, topic_city(turn), arg


def set_idea(turn: Turn, arg: Arg) -> None:
    _draft(turn).idea = int(turn.inbound.text.strip().lstrip("#"))


def explain_idea(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    turn.note(_("Please type the number of a published idea, for example 42."))


def set_button(turn: Turn, arg: Arg) -> None:
    _draft(turn).button = arg


def remove_idea(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    draft.idea = draft.button = None


def set_time(turn: Turn, arg: Arg) -> None:
    when = parse_time(turn.inbound.text, turn.now)
    if when is not None:
        _draft(turn).send_at = when.isoformat()


def explain_time(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    turn.note(_("Please type a time within the next 90 days, for example 18:30 or 24.12.2026 09:00 (German time)."))


def set_translating(turn: Turn, arg: Arg) -> None:
    _draft(turn).translating = arg


def set_translation(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    if draft.translating is not None:
        draft.translations[draft.translating] = _check(turn).value
    draft.translating = None


def remove_translation(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    if draft.translating is not None:
        draft.translations.pop(draft.translating, None)
    draft.translating = None


def stop_translating(turn: Turn, arg: Arg) -> None:
    _draft(turn).translating = None


def clear_time(turn: Turn, arg: Arg) -> None:
    _draft(turn).send_at = None


def discard(turn: Turn, arg: Arg) -> None:
    turn.conversation.broadcast_draft = None
    _ = turn.lang.gettext
    turn.note(_("The message was discarded and not sent."))


def refuse_send(turn: Turn, arg: Arg) -> None:
    turn.conversation.broadcast_draft = None
    turn.screen_override = refuse(turn, "broadcast", "-")


def queue(turn: Turn, arg: Arg) -> None:
    """Store the broadcast; it goes out at its time, recipients written just before."""
    draft = _draft(turn)
    audience = audience_of(turn)
    assert audience is not None
    when = _scheduled(turn)
    identity = turn.inbound.identity
    idea, button = draft.idea, draft.button
    broadcast_id = outbox.create_broadcast(
        turn.tx,
        author=(identity.platform, identity.user_id, turn.inbound.chat_id, turn.lang.code),
        text=draft.text or "",
        audience=audience,
        idea_id=idea if button is not None else None,
        button=button if idea is not None else None,
        send_at=when or turn.now,
        now=turn.now,
        translations={code: text for code, text in draft.translations.items() if code != turn.lang.code},
    )
    moderation_db.audit(turn.tx, str(identity), "broadcast", f"broadcast:{broadcast_id}", "done", turn.now)
    turn.conversation.broadcast_draft = None
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


# -- /broadcasts: the messages sent, with their figures ------------------------------------------

SHOWN = 10
STATUS_NAMES = {
    BroadcastStatus.SCHEDULED.value: N_("planned"),
    BroadcastStatus.SENDING.value: N_("sending"),
    BroadcastStatus.PAUSED.value: N_("paused"),
    BroadcastStatus.CANCELLED.value: N_("cancelled"),
    BroadcastStatus.DONE.value: N_("finished"),
}
CHANGES = {
    "pause": ((BroadcastStatus.SENDING,), BroadcastStatus.PAUSED),
    "resume": ((BroadcastStatus.PAUSED,), BroadcastStatus.SENDING),
    "cancel": (outbox.ACTIVE, BroadcastStatus.CANCELLED),
}


def figures_line(lang: Language, figures: outbox.Figures) -> str:
    """E.g. "12.345 von 48.000 zugestellt, 12 nicht erreichbar"."""
    _ = lang.gettext
    line = _("{sent} of {total} delivered, {unreachable} unreachable").format(
        sent=lang.number(figures.sent), total=lang.number(figures.total), unreachable=lang.number(figures.unreachable)
    )
    if figures.failed:
        line += ", " + _("{failed} failed").format(failed=lang.number(figures.failed))
    if figures.no_window:
        line += ", " + _("{count} unreachable (24-hour window)").format(count=lang.number(figures.no_window))
    if figures.cancelled:
        line += ", " + _("{cancelled} not sent (cancelled)").format(cancelled=lang.number(figures.cancelled))
    return line


def progress_reply(broadcast: outbox.BroadcastRecord, figures: outbox.Figures, lang: Language) -> Reply:
    """The author's progress message, edited as the broadcast goes."""
    _ = lang.gettext
    head = _("Message no. {number}: {status}").format(number=broadcast.id, status=_(STATUS_NAMES[broadcast.status]))
    return Reply(blocks=(Block((Span(head, "bold"),)), Block((Span(figures_line(lang, figures)),))), language=lang.code)


def list_broadcasts(turn: Turn, arg: Arg) -> None:
    """/broadcasts"""
    turn.screen_override = listing(turn) if is_staff(grants_of(turn)) else refuse(turn, "broadcasts", "-")


def listing(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    shown = [b for b in outbox.recent(turn.tx, SHOWN * 3) if allowed(turn, b.audience)][:SHOWN]
    if not shown:
        screen.text.para(_("No messages have been sent yet. Send /broadcast to write one."))
    for broadcast in shown:
        _describe(turn, screen, broadcast)
        buttons = []
        if broadcast.status == BroadcastStatus.SENDING.value:
            buttons.append((_("Pause {number}").format(number=broadcast.id), f"bc:pause:{broadcast.id}"))
        if broadcast.status == BroadcastStatus.PAUSED.value:
            buttons.append((_("Resume {number}").format(number=broadcast.id), f"bc:resume:{broadcast.id}"))
        if broadcast.status in {s.value for s in outbox.ACTIVE}:
            buttons.append((_("Cancel {number}").format(number=broadcast.id), f"bc:cancel:{broadcast.id}"))
        if buttons:
            screen.pair(*buttons)
    return done_screen(turn, screen)


def _describe(turn: Turn, screen: Screen, broadcast: outbox.BroadcastRecord) -> None:
    _ = turn.lang.gettext
    first_line = broadcast.text.split("\n", 1)[0]
    excerpt = first_line if len(first_line) <= 60 else first_line[:59] + "…"
    status = _(STATUS_NAMES[broadcast.status])
    when = turn.lang.datetime(broadcast.send_at, ZONE)
    screen.text.para(
        Span(_("No. {number} – {status} – {time}").format(number=broadcast.id, status=status, time=when), "bold")
    )
    screen.text.item(excerpt)
    screen.text.item(_("Recipients: {audience}").format(audience=audience_label(turn, broadcast.audience)))
    if broadcast.status != BroadcastStatus.SCHEDULED.value:
        screen.text.item(figures_line(turn.lang, outbox.figures(turn.tx, broadcast.id)))


def change_broadcast(turn: Turn, arg: Arg) -> None:
    """A button from /broadcasts: ``bc:pause:3``."""
    turn.screen_override = _change(turn, arg or "")


def _change(turn: Turn, arg: str) -> Screen:
    """The role is checked now, not when the button was shown."""
    _ = turn.lang.gettext
    command, _sep, number = arg.partition(":")
    if command not in CHANGES or not number.isascii() or not number.isdigit():
        screen = Screen()
        screen.text.para(_("This menu is out of date. Here is the current one."))
        return done_screen(turn, screen)
    broadcast_id = int(number)
    obj = f"broadcast:{broadcast_id}"
    broadcast = outbox.get(turn.tx, broadcast_id)
    if not is_staff(grants_of(turn)) or broadcast is None or not allowed(turn, broadcast.audience):
        return refuse(turn, command, obj)
    allowed_from, to = CHANGES[command]
    screen = Screen()
    if outbox.change_status(turn.tx, broadcast_id, allowed_from, to):
        moderation_db.audit(turn.tx, str(turn.inbound.identity), command, obj, "done", turn.now)
        screen.text.para(
            _("Message no. {number} is now {status}.").format(number=broadcast_id, status=_(STATUS_NAMES[to.value]))
        )
    else:
        screen.text.para(
            _("Message no. {number} is {status}; that cannot be changed any more.").format(
                number=broadcast_id, status=_(STATUS_NAMES[broadcast.status])
            )
        )
    listed = listing(turn)
    screen.text.blocks.extend(listed.blocks)
    screen.rows.extend(listed.rows)
    return screen


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
    draft = turn.conversation.broadcast_draft
    at = draft.send_at if draft is not None else None
    if at is None:
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
    screen = Screen()
    audience_buttons(turn, screen, reachable(turn))
    return _with_discard(turn, screen)


def reachable(turn: Turn) -> list[tuple[Audience, str]]:
    """The audiences this staff member may write to (all subscribers, a city's news), with their actions."""
    choices: list[tuple[Audience, str]] = []
    if ALL_CITIES in staff_cities(turn):
        choices.append((Audience(), ALL_CITIES))
    for city in turn.content.cities:
        audience = Audience(city=city.id)
        if allowed(turn, audience):
            choices.append((audience, f"city:{city.id}"))
    return choices


def audience_buttons(turn: Turn, screen: Screen, choices: list[tuple[Audience, str]]) -> None:
    """Who should receive it: each audience with its size right now, and "one topic"."""
    _ = turn.lang.gettext
    screen.text.para(_("Who should receive it? The figures count the subscribers who can be reached now."))
    for audience, action in choices:
        size = turn.lang.number(audience_size(turn.tx, audience))
        screen.button(f"{audience_label(turn, audience)} ({size})", f"audience:{action}")
    screen.button(_("Subscribers of one topic"), "audience:field")


def field_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Subscribers of which topic?"))
    city = topic_city(turn)
    for topic in turn.content.handlungsfelder:
        size = turn.lang.number(audience_size(turn.tx, Audience(city, topic.id)))
        screen.button(f"{field_title(turn, topic.id)} ({size})", f"field:{topic.id}")
    return screen.button(_("Back"), "back")


def preview_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    number = turn.lang.number
    draft = turn.conversation.broadcast_draft or BroadcastDraft()
    audience = audience_of(turn) or Audience()
    size = audience_size(turn.tx, audience)
    when = _scheduled(turn)
    idea, button = draft.idea, draft.button
    screen = Screen()
    screen.text.para(bold(_("Preview")))
    reply = broadcast_reply(draft.text or "", idea, button, turn.lang)
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
    written_in_item(turn, screen, draft.translations)
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
    screen.button(_("Add a text in another language"), "translate")
    if idea is not None:
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


def language_screen(turn: Turn) -> Screen:
    draft = turn.conversation.broadcast_draft or BroadcastDraft()
    return language_choice(turn, set(draft.translations))


def language_names(turn: Turn, codes: Iterable[str]) -> str:
    """The languages' names, in a fixed order, for a preview or a note."""
    return ", ".join(turn.languages.get(code).name for code in sorted(codes))


def written_in_item(turn: Turn, screen: Screen, written: Collection[str]) -> None:
    """The preview's line on the other languages a text (a broadcast, a poll) was written in."""
    _ = turn.lang.gettext
    if written:
        screen.text.item(_("Also written in: {languages}").format(languages=language_names(turn, written)))
    else:
        screen.text.item(_("Residents of other languages get it as written, with a note in their language."))


def language_choice(turn: Turn, written: set[str]) -> Screen:
    """Which other language to write in (a broadcast, a poll): each language of the bot, ✓ where `written`."""
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(
        _(
            "In which other language should residents read it? "
            "Please write the text yourself, or have a person translate it."
        )
    )
    for lang in turn.languages.all():
        if lang.code != turn.lang.code:
            mark = "✓ " if lang.code in written else ""
            screen.button(f"{mark}{lang.name}", f"translate_to:{lang.code}")
    return screen.button(_("Back"), "back")


def translation_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    draft = turn.conversation.broadcast_draft or BroadcastDraft()
    code = draft.translating or turn.lang.code
    screen = Screen()
    screen.text.para(
        _("Please type the message in {language}, at most {maximum} characters.").format(
            language=turn.languages.get(code).name, maximum=turn.lang.number(TEXT_MAX)
        )
    )
    if code in draft.translations:
        screen.text.para(_("So far:"))
        screen.text.para(draft.translations[code])
        screen.button(_("Remove this language"), "remove_translation")
    return screen.button(_("Back"), "back")


def when_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(
        _("When should it be sent? Please type a time, for example 18:30 or 24.12.2026 09:00 (German time).")
    )
    return screen.button(_("Back"), "back")


FLOW = Flow(
    name="broadcast",
    screens={
        "broadcast_text": text_screen,  # staff: type the broadcast's text
        "broadcast_audience": audience_screen,  # staff: all subscribers, one city's, or those of one topic
        "broadcast_field": field_screen,  # staff: which topic's subscribers
        "broadcast_preview": preview_screen,  # staff: the message as residents will see it, the exact count
        "broadcast_idea": idea_screen,  # staff: type the number of the idea a button should open
        "broadcast_button": button_screen,  # staff: the button's label
        "broadcast_when": when_screen,  # staff: type when to send it
        "broadcast_language": language_screen,  # staff: which other language to write the message in
        "broadcast_translation": translation_screen,  # staff: type the message in that language
    },
    transitions=[
        {
            "trigger": "broadcast",
            "source": "*",
            "dest": "broadcast_text",
            "conditions": [may_broadcast],
            "before": [leave_flow, start],
        },
        {"trigger": "broadcast", "source": "*", "dest": None, "before": [refuse_command]},
        {
            "trigger": "text",
            "source": "broadcast_text",
            "dest": "broadcast_preview",
            "conditions": [valid_text, has_audience],
            "before": [set_text],
        },
        {
            "trigger": "text",
            "source": "broadcast_text",
            "dest": "broadcast_audience",
            "conditions": [valid_text],
            "before": [set_text],
        },
        {"trigger": "text", "source": "broadcast_text", "dest": None, "before": [explain_text]},
        {
            "trigger": "audience",
            "source": "broadcast_audience",
            "dest": "broadcast_field",
            "conditions": [arg_is("field")],
        },
        {
            "trigger": "audience",
            "source": "broadcast_audience",
            "dest": "broadcast_preview",
            "conditions": [audience_choice_allowed],
            "before": [set_audience],
        },
        {
            "trigger": "field",
            "source": "broadcast_field",
            "dest": "broadcast_preview",
            "conditions": [is_field],
            "before": [set_field_audience],
        },
        {"trigger": "back", "source": "broadcast_field", "dest": "broadcast_audience"},
        {"trigger": "edit_text", "source": "broadcast_preview", "dest": "broadcast_text"},
        {"trigger": "edit_audience", "source": "broadcast_preview", "dest": "broadcast_audience"},
        {"trigger": "add_idea", "source": "broadcast_preview", "dest": "broadcast_idea"},
        {
            "trigger": "text",
            "source": "broadcast_idea",
            "dest": "broadcast_button",
            "conditions": [is_published_idea],
            "before": [set_idea],
        },
        {"trigger": "text", "source": "broadcast_idea", "dest": None, "before": [explain_idea]},
        {
            "trigger": "button",
            "source": "broadcast_button",
            "dest": "broadcast_preview",
            "conditions": [is_button_kind],
            "before": [set_button],
        },
        {"trigger": "remove_idea", "source": "broadcast_preview", "dest": "broadcast_preview", "before": [remove_idea]},
        {"trigger": "when", "source": "broadcast_preview", "dest": "broadcast_when"},
        {
            "trigger": "text",
            "source": "broadcast_when",
            "dest": "broadcast_preview",
            "conditions": [valid_time],
            "before": [set_time],
        },
        {"trigger": "text", "source": "broadcast_when", "dest": None, "before": [explain_time]},
        {"trigger": "translate", "source": "broadcast_preview", "dest": "broadcast_language"},
        {
            "trigger": "translate_to",
            "source": "broadcast_language",
            "dest": "broadcast_translation",
            "conditions": [is_other_language],
            "before": [set_translating],
        },
        {
            "trigger": "text",
            "source": "broadcast_translation",
            "dest": "broadcast_preview",
            "conditions": [valid_text],
            "before": [set_translation],
        },
        {"trigger": "text", "source": "broadcast_translation", "dest": None, "before": [explain_text]},
        {
            "trigger": "remove_translation",
            "source": "broadcast_translation",
            "dest": "broadcast_preview",
            "before": [remove_translation],
        },
        {
            "trigger": "back",
            "source": "broadcast_translation",
            "dest": "broadcast_language",
            "before": [stop_translating],
        },
        {"trigger": "now", "source": "broadcast_preview", "dest": "broadcast_preview", "before": [clear_time]},
        {
            "trigger": "send",
            "source": "broadcast_preview",
            "dest": "menu",
            "conditions": [may_send],
            "before": [queue],
        },
        {"trigger": "send", "source": "broadcast_preview", "dest": "menu", "before": [refuse_send]},
        # once for every step of the flow
        {
            "trigger": "back",
            "source": ["broadcast_idea", "broadcast_button", "broadcast_when", "broadcast_language"],
            "dest": "broadcast_preview",
        },
        {"trigger": "discard", "source": STEPS, "dest": "menu", "before": [discard]},
    ],
    commands=(
        Command("broadcast", N_("Write a message to subscribers"), STAFF),
        Command("broadcasts", N_("Messages sent: figures, pause, cancel"), STAFF, run=list_broadcasts),
    ),
    actions={"bc": change_broadcast},
)
