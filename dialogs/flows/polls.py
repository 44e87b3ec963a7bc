"""Quick polls: staff ask a question with 2–6 options, residents answer with one tap.

Composing (/umfrage): question, options, single or multiple choice, audience (the same
audiences and city limits as broadcasts, or only in the menu under „Aktuelle Umfragen"),
closing time, interim results yes or no, preview with the exact count, send or plan. From the
preview staff may add the poll in further languages, as for broadcasts: choose a language, type
the question, then each option in the original's order. The staff role is checked when composing
starts and again when sending; both are audited.

A pushed poll is a broadcast with answer buttons (storage/polls.py): its options are
``p.<poll>.<option>`` payloads (dialogs/payloads.py), which stay valid on the message until
the poll closes; on Matrix the reactions 1️⃣–6️⃣ answer too. Every answer, from a message
or from the menu, fires the ``answer`` trigger and shows the poll: "Danke!", the shares
where the author allowed them, or after closing "Diese Umfrage ist beendet" with the result.
Each resident reads the poll in their language where staff wrote it so, else as written with a
short note that there is no translation; an answer is an option's index, the same in every language.
/umfragen lists open and recent polls with their figures and closes one early (``poll_close``).
"""

from __future__ import annotations

from datetime import datetime

from dialogs import inputs
from dialogs.conversation import PollDraft
from dialogs.flow import Arg, Command, Condition, Effect, Flow, Transition, arg_is, as_int, onboarded
from dialogs.flows.broadcast import (
    ZONE,
    allowed,
    audience_buttons,
    audience_label,
    field_screen,
    is_other_language,
    language_choice,
    language_names,
    parse_time,
    reachable,
    staff_cities,
    topic_city,
    when_screen,
    written_in_item,
)
from dialogs.flows.ideas import is_field
from dialogs.flows.news import untranslated_note
from dialogs.flows.submit import explain_problem
from dialogs.i18n import N_, Language
from dialogs.messages import Block, Button, Reaction, Reply, Span, bold
from dialogs.names import city_name
from dialogs.payloads import MAX_POLL_OPTIONS, POLL_REACTIONS, poll_option, poll_reaction
from dialogs.roles import STAFF, done_screen, grants_of, is_staff, refuse
from dialogs.screen import Screen
from dialogs.turn import Turn
from storage import moderation as moderation_db
from storage import outbox
from storage import polls as db
from storage.models import ALL_CITIES
from storage.store import Tx
from storage.subscriptions import Audience, audience_size

QUESTION_MIN, QUESTION_MAX = 10, 300
OPTION_MAX = 40
MIN_OPTIONS = 2
BAR_WIDTH = 10
STEPS = [
    "poll_question",
    "poll_options",
    "poll_kind",
    "poll_audience",
    "poll_field",
    "poll_closes",
    "poll_interim",
    "poll_preview",
    "poll_when",
    "poll_language",
    "poll_translation",
    "poll_translation_option",
]
"""The steps of composing, named as nested states of ``poll``; "Discard" leaves from each."""


def _draft(turn: Turn) -> PollDraft:
    if turn.conversation.poll_draft is None:
        turn.conversation.poll_draft = PollDraft()
    return turn.conversation.poll_draft


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _audience(draft: PollDraft) -> Audience:
    return Audience(draft.city, draft.field)


def _starts(turn: Turn) -> datetime:
    planned = _time(_draft(turn).send_at)
    return planned if planned is not None and planned > turn.now else turn.now


# -- conditions ----------------------------------------------------------------------------------


def may_poll(turn: Turn, arg: Arg) -> bool:
    return bool(staff_cities(turn))


def complete(turn: Turn, arg: Arg) -> bool:
    """Every part is there: a change from the preview leads back to it."""
    draft = _draft(turn)
    return bool(
        draft.question
        and draft.options
        and draft.multiple is not None
        and draft.audience_chosen
        and draft.closes_at
        and draft.show_interim is not None
    )


def valid_question(turn: Turn, arg: Arg) -> bool:
    return _question(turn).problem is None


def valid_options(turn: Turn, arg: Arg) -> bool:
    return _options(turn) is not None


def valid_closing(turn: Turn, arg: Arg) -> bool:
    return parse_time(turn.inbound.text, turn.now) is not None


def valid_start(turn: Turn, arg: Arg) -> bool:
    return parse_time(turn.inbound.text, turn.now) is not None


def audience_choice_allowed(turn: Turn, arg: Arg) -> bool:
    chosen = _audience_from_arg(turn, arg)
    return chosen is not None and allowed(turn, chosen[0])


def closes_after_start(turn: Turn) -> bool:
    closes = _time(_draft(turn).closes_at)
    return closes is not None and closes > _starts(turn)


def may_send(turn: Turn, arg: Arg) -> bool:
    """Checked when sending: still staff, still allowed to reach this audience, and complete."""
    return may_poll(turn, arg) and complete(turn, arg) and allowed(turn, _audience(_draft(turn)))


def in_time(turn: Turn, arg: Arg) -> bool:
    return closes_after_start(turn)


def valid_translated_option(turn: Turn, arg: Arg) -> bool:
    return _translated_option(turn)[1] is None


def last_option(turn: Turn, arg: Arg) -> bool:
    """The option being typed is the poll's last one."""
    draft = _draft(turn)
    return len(draft.typed) >= len(draft.options or [])


def typed_an_option(turn: Turn, arg: Arg) -> bool:
    return len(_draft(turn).typed) > 1


# -- effects: composing --------------------------------------------------------------------------


def start(turn: Turn, arg: Arg) -> None:
    turn.conversation.leave_flow()
    turn.conversation.poll_draft = PollDraft()


def refuse_command(turn: Turn, arg: Arg) -> None:
    turn.screen_override = refuse(turn, "poll", "-")


def _question(turn: Turn) -> inputs.Checked:
    return inputs.check(turn.inbound.text, minimum=QUESTION_MIN, maximum=QUESTION_MAX, single_line=True)


def set_question(turn: Turn, arg: Arg) -> None:
    """A changed question keeps the texts in other languages (often a typo fixed), but staff are asked
    to check them: a reader of another language would otherwise answer the old question."""
    draft = _draft(turn)
    question = _question(turn).value
    if draft.translations and draft.question is not None and question != draft.question:
        _ = turn.lang.gettext
        text = _("The question has changed. Please check it in the other languages too: {languages}")
        turn.note(text.format(languages=language_names(turn, draft.translations)))
    draft.question = question


def explain_question(turn: Turn, arg: Arg) -> None:
    explain_problem(turn, _question(turn), QUESTION_MIN, QUESTION_MAX)


def _options(turn: Turn) -> list[str] | None:
    """One option per line: 2 to 6, none empty, none longer than 40 characters, none twice."""
    lines = [inputs.clean(line, single_line=True) for line in turn.inbound.text.splitlines()]
    options = [line for line in lines if line]
    if not MIN_OPTIONS <= len(options) <= MAX_POLL_OPTIONS or any(len(o) > OPTION_MAX for o in options):
        return None
    if len({o.casefold() for o in options}) != len(options):
        return None
    return options


def set_options(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    options = _options(turn)
    if draft.translations and options != draft.options:
        draft.translations = {}
        _ = turn.lang.gettext
        turn.note(_("The options have changed, so the texts in other languages were removed. Please add them again."))
    draft.options = options


def explain_options(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    turn.note(
        _(
            "Please type 2 to 6 different options, each on its own line and each at most {maximum} characters long."
        ).format(maximum=turn.lang.number(OPTION_MAX))
    )


def set_kind(turn: Turn, arg: Arg) -> None:
    _draft(turn).multiple = arg == "multiple"


def _audience_from_arg(turn: Turn, arg: Arg) -> tuple[Audience, bool] | None:
    """``all``, ``city:aalen``, ``menu:all`` or ``menu:aalen``: the audience, and whether only in the menu."""
    if arg is None:
        return None
    in_menu, _sep, rest = arg.partition(":") if arg.startswith("menu:") else ("", "", arg)
    if rest == ALL_CITIES:
        return Audience(), bool(in_menu)
    city = rest[5:] if rest.startswith("city:") else rest if in_menu else None
    if city is not None and turn.content.city(city) is not None:
        return Audience(city=city), bool(in_menu)
    return None


def set_audience(turn: Turn, arg: Arg) -> None:
    chosen = _audience_from_arg(turn, arg)
    if chosen is not None:
        draft = _draft(turn)
        (audience, draft.in_menu) = chosen
        draft.audience_chosen, draft.city, draft.field = True, audience.city, None


def set_field_audience(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    draft.audience_chosen, draft.city, draft.field, draft.in_menu = True, topic_city(turn), arg, False


def set_closing(turn: Turn, arg: Arg) -> None:
    when = parse_time(turn.inbound.text, turn.now)
    if when is not None:
        _draft(turn).closes_at = when.isoformat()


def explain_time(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    turn.note(_("Please type a time within the next 90 days, for example 18:30 or 24.12.2026 09:00 (German time)."))


def set_interim(turn: Turn, arg: Arg) -> None:
    _draft(turn).show_interim = arg == "yes"


def toggle_interim(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    draft.show_interim = not draft.show_interim


def toggle_kind(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    draft.multiple = not draft.multiple


def toggle_tell(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    draft.tell_answerers = not draft.tell_answerers


def set_start(turn: Turn, arg: Arg) -> None:
    when = parse_time(turn.inbound.text, turn.now)
    if when is not None:
        _draft(turn).send_at = when.isoformat()


def clear_start(turn: Turn, arg: Arg) -> None:
    _draft(turn).send_at = None


def set_translating(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    draft.translating, draft.typed = arg, []


def set_translated_question(turn: Turn, arg: Arg) -> None:
    _draft(turn).typed = [_question(turn).value]


def _translated_option(turn: Turn) -> tuple[str, str | None]:
    """The option typed in the language being written, and why it cannot be taken (None: it can)."""
    _ = turn.lang.gettext
    draft = _draft(turn)
    if draft.translating is None or not draft.typed:
        return "", _("This menu is out of date. Here is the current one.")
    if len([line for line in turn.inbound.text.splitlines() if line.strip()]) > 1:
        return "", _("Please type only this one option, in one line.")
    checked = inputs.check(turn.inbound.text, minimum=0, maximum=OPTION_MAX, single_line=True)
    if checked.problem is inputs.Problem.EMPTY:
        return "", _("I did not receive any text. Please type your answer.")
    if checked.problem is inputs.Problem.TOO_LONG:
        too_long = _("Your text has {length} characters. Please shorten it to at most {maximum}.")
        return "", too_long.format(length=turn.lang.number(checked.length), maximum=turn.lang.number(OPTION_MAX))
    if checked.value.casefold() in {option.casefold() for option in draft.typed[1:]}:
        return "", _("You have typed this option already. Please type a different one.")
    return checked.value, None


def add_translated_option(turn: Turn, arg: Arg) -> None:
    """The next option in the language being written; after the last one the language is complete."""
    draft = _draft(turn)
    draft.typed.append(_translated_option(turn)[0])
    count = 1 + len(draft.options or [])
    if draft.translating is not None and len(draft.typed) >= count:
        draft.translations[draft.translating] = draft.typed[:count]
        draft.translating, draft.typed = None, []


def explain_translated_option(turn: Turn, arg: Arg) -> None:
    problem = _translated_option(turn)[1]
    if problem is not None:
        turn.note(problem)


def step_back(turn: Turn, arg: Arg) -> None:
    """Back from an option: to the one before it (or the question), to type it again."""
    draft = _draft(turn)
    draft.typed = draft.typed[:-1]


def remove_translation(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    if draft.translating is not None:
        draft.translations.pop(draft.translating, None)
    draft.translating, draft.typed = None, []


def stop_translating(turn: Turn, arg: Arg) -> None:
    draft = _draft(turn)
    draft.translating, draft.typed = None, []


def discard(turn: Turn, arg: Arg) -> None:
    turn.conversation.poll_draft = None
    _ = turn.lang.gettext
    turn.note(_("The poll was discarded and not sent."))


def refuse_send(turn: Turn, arg: Arg) -> None:
    turn.conversation.poll_draft = None
    turn.screen_override = refuse(turn, "poll", "-")


def queue(turn: Turn, arg: Arg) -> None:
    """Store the poll; a pushed one goes out through the broadcast outbox at its time."""
    draft = _draft(turn)
    assert draft.question and draft.options and draft.closes_at  # may_send
    identity = turn.inbound.identity
    starts = _starts(turn)
    poll_id = db.create_poll(
        turn.tx,
        author=(identity.platform, identity.user_id, turn.inbound.chat_id, turn.lang.code),
        question=draft.question,
        options=draft.options,
        multiple=bool(draft.multiple),
        audience=_audience(draft),
        in_menu=draft.in_menu,
        show_interim=bool(draft.show_interim),
        tell_answerers=draft.tell_answerers,
        opens_at=starts,
        closes_at=datetime.fromisoformat(draft.closes_at),
        now=turn.now,
        translations=_written_translations(turn),
    )
    moderation_db.audit(turn.tx, str(identity), "poll", f"poll:{poll_id}", "done", turn.now)
    turn.conversation.poll_draft = None
    _ = turn.lang.gettext
    if starts > turn.now:
        text = _("Poll no. {number} is planned for {time}. Send /umfragen to see or close it.")
        turn.note(text.format(number=poll_id, time=turn.lang.datetime(starts, ZONE)))
    elif draft.in_menu:
        turn.note(_("Poll no. {number} is open now under “Current polls” in the menu.").format(number=poll_id))
    else:
        turn.note(
            _("Poll no. {number} is being sent. I will keep you informed in a message here.").format(number=poll_id)
        )


def _written_translations(turn: Turn) -> dict[str, tuple[str, list[str]]]:
    """The complete texts in languages other than the poll's own: question and every option."""
    draft = _draft(turn)
    count = len(draft.options or [])
    return {
        code: (texts[0], texts[1:])
        for code, texts in draft.translations.items()
        if code != turn.lang.code and turn.languages.supports(code) and len(texts) == 1 + count
    }


# -- answering -----------------------------------------------------------------------------------


def _answer_arg(arg: Arg) -> tuple[int, int, str] | None:
    """``12:3:tap`` (poll, option, mode) as a client's button or reaction named it."""
    parts = (arg or "").split(":")
    if len(parts) != 3 or parts[2] not in ("tap", "add", "remove"):
        return None
    poll_id, option = as_int(parts[0]), as_int(parts[1])
    return None if poll_id is None or option is None else (poll_id, option, parts[2])


def _seen_poll(turn: Turn, poll_id: int | None) -> db.PollRecord | None:
    """The poll, if it was shown to this resident; else None (a made-up number)."""
    poll = db.get(turn.tx, poll_id) if poll_id is not None else None
    resident = turn.resident
    if poll is None or not db.may_answer(turn.tx, poll, resident.id, resident.city, turn.now):
        return None
    return poll


def answerable(turn: Turn, arg: Arg) -> bool:
    parsed = _answer_arg(arg)
    if parsed is None:
        return False
    poll = _seen_poll(turn, parsed[0])
    return poll is not None and parsed[1] < len(poll.options)


def visible_poll(turn: Turn, arg: Arg) -> bool:
    return _seen_poll(turn, as_int(arg)) is not None


def next_choices(current: int, option: int, mode: str, multiple: bool) -> int:
    """The options chosen after a tap or a reaction on `option` (bit sets, bit 0 = first option)."""
    bit = 1 << option
    if mode == "remove":
        return current & ~bit
    if not multiple:
        return bit
    return current ^ bit if mode == "tap" else current | bit


def record_answer(turn: Turn, arg: Arg) -> None:
    """Under the poll's row lock: still open? Then store the answer and move the counts."""
    parsed = _answer_arg(arg)
    assert parsed is not None  # answerable
    poll_id, option, mode = parsed
    turn.conversation.poll = poll_id
    _ = turn.lang.gettext
    poll = db.lock(turn.tx, poll_id)
    if poll is None or not poll.is_open:
        turn.note(bold(_("This poll has ended.")))
        return
    resident = turn.resident
    current = db.choices_of(turn.tx, poll_id, resident.id)
    chosen = next_choices(current, option, mode, poll.multiple)
    db.set_choices(turn.tx, poll, resident.id, resident.city, resident.platform, chosen, turn.now)
    if chosen:
        turn.note(bold(_("Thank you!")))
    else:
        turn.note(_("Your answer was taken back."))


def open_poll(turn: Turn, arg: Arg) -> None:
    turn.conversation.poll = as_int(arg)


# -- the result, as a small text bar chart -----------------------------------------------------------


def bar(share: int) -> str:
    """``██████░░░░`` for 58 %."""
    filled = min(BAR_WIDTH, max(0, round(share * BAR_WIDTH / 100)))
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def result_blocks(lang: Language, options: list[str], totals: db.Totals) -> list[Block]:
    """Each option with its share, e.g. "Stadtpark: ██████░░░░ 58 %", and how many answered."""
    _ = lang.gettext
    blocks = [
        Block((Span(f"{label}: {bar(totals.share(index))} {lang.number(totals.share(index))} %"),), item=True)
        for index, label in enumerate(options)
    ]
    answered = lang.ngettext("{count} person answered.", "{count} people answered.", totals.respondents)
    blocks.append(Block((Span(answered.format(count=lang.number(totals.respondents))),)))
    return blocks


def _kind_hint(lang: Language, multiple: bool) -> str:
    _ = lang.gettext
    return _("You may choose several options.") if multiple else _("Please choose one option.")


def poll_reply(poll: db.PollRecord, wording: db.Wording, lang: Language) -> Reply:
    """A pushed poll as one subscriber reads it: the question, one button per option, how to stop."""
    _ = lang.gettext
    closes = _("Open until {time}.").format(time=lang.datetime(poll.closes_at, ZONE))
    blocks = (
        Block((Span(_("Quick poll"), "bold"),)),
        *untranslated_note(lang, wording.language),
        Block((Span(wording.question),)),
        Block((Span(f"{_kind_hint(lang, poll.multiple)} {closes}"),)),
        Block((Span(_("You receive this because you subscribed to news. To stop: /stop"), "italic"),)),
    )
    buttons = tuple((Button(label, poll_option(poll.id, index)),) for index, label in enumerate(wording.options))
    reactions = tuple(
        Reaction(POLL_REACTIONS[index], *poll_reaction(poll.id, index)) for index in range(len(poll.options))
    )
    return Reply(blocks=blocks, buttons=buttons, language=lang.code, reactions=reactions)


def result_reply(poll: db.PollRecord, wording: db.Wording, totals: db.Totals, lang: Language) -> Reply:
    """A closed poll's result, for its author and (if chosen) everyone who answered."""
    _ = lang.gettext
    head = _("Result of poll no. {number}").format(number=poll.id)
    blocks = [
        Block((Span(head, "bold"),)),
        *untranslated_note(lang, wording.language),
        Block((Span(wording.question),)),
        *result_blocks(lang, wording.options, totals),
    ]
    return Reply(blocks=tuple(blocks), language=lang.code)


def broadcast_message(tx: Tx, broadcast: outbox.BroadcastRecord, lang: Language) -> Reply | None:
    """What a broadcast that carries a poll says, in `lang` where staff wrote it so: its question
    with buttons, or its result."""
    poll = db.get(tx, broadcast.poll_id) if broadcast.poll_id is not None else None
    if poll is None:
        return None
    wording = db.wording(tx, poll, lang.code)
    if broadcast.id == poll.result_broadcast_id:
        return result_reply(poll, wording, db.totals(tx, poll), lang)
    return poll_reply(poll, wording, lang)


# -- screens: residents ----------------------------------------------------------------------------


def offer_in_menu(turn: Turn, screen: Screen) -> None:
    """The main menu's „Current polls" button, while there is one for this resident."""
    resident = turn.resident
    if db.open_for(turn.tx, resident.id, resident.city, turn.now):
        _ = turn.lang.gettext
        screen.button(_("Current polls"), "polls")


def polls_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Current polls")))
    found = db.open_for(turn.tx, turn.resident.id, turn.resident.city, turn.now)
    if not found:
        screen.text.para(_("There are no open polls right now."))
    wordings = [db.wording(turn.tx, poll, turn.lang.code) for poll in found]
    for written_in in sorted({wording.language for wording in wordings}):
        screen.text.blocks.extend(untranslated_note(turn.lang, written_in))
    for poll, wording in zip(found, wordings, strict=True):
        answered = db.choices_of(turn.tx, poll.id, turn.resident.id)
        question = wording.question
        label = question if len(question) <= 60 else question[:59] + "…"
        screen.button(("✓ " if answered else "") + label, f"open_poll:{poll.id}")
    return screen.button(_("Back"), "back")


def poll_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    poll = db.get(turn.tx, turn.conversation.poll or 0)
    if poll is None:
        screen.text.para(_("There are no open polls right now."))
        return screen.button(_("Main menu"), "menu")
    chosen = db.choices_of(turn.tx, poll.id, turn.resident.id)
    wording = db.wording(turn.tx, poll, turn.lang.code)
    screen.text.blocks.extend(untranslated_note(turn.lang, wording.language))
    screen.text.para(bold(wording.question))
    if not poll.is_open:
        screen.text.para(bold(_("This poll has ended.")))
        screen.text.blocks.extend(result_blocks(turn.lang, wording.options, db.totals(turn.tx, poll)))
        return screen.pair((_("Back"), "back"), (_("Main menu"), "menu"))
    if chosen and poll.show_interim:
        screen.text.blocks.extend(result_blocks(turn.lang, wording.options, db.totals(turn.tx, poll)))
    closes = turn.lang.datetime(poll.closes_at, ZONE)
    if chosen:
        screen.text.para(_("You can change your answer until {time}.").format(time=closes))
    else:
        screen.text.para(_kind_hint(turn.lang, poll.multiple), " ", _("Open until {time}.").format(time=closes))
    for index, label in enumerate(wording.options):
        mark = "✓ " if chosen >> index & 1 else ""
        screen.button(f"{mark}{label}", f"answer:{poll.id}:{index}:tap")
    return screen.pair((_("Back"), "back"), (_("Main menu"), "menu"))


def screen_reactions(turn: Turn) -> tuple[Reaction, ...]:
    """On the poll's screen, where a platform has reactions: 1️⃣–6️⃣ answer too."""
    poll = db.get(turn.tx, turn.conversation.poll or 0)
    if poll is None or not poll.is_open:
        return ()
    return tuple(Reaction(POLL_REACTIONS[i], *poll_reaction(poll.id, i)) for i in range(len(poll.options)))


# -- screens: composing -----------------------------------------------------------------------------


def _with_discard(turn: Turn, screen: Screen) -> Screen:
    _ = turn.lang.gettext
    return screen.button(_("Discard"), "discard")


def question_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("New quick poll")))
    screen.text.para(
        _("Please type the question, {minimum} to {maximum} characters.").format(
            minimum=turn.lang.number(QUESTION_MIN), maximum=turn.lang.number(QUESTION_MAX)
        )
    )
    return _with_discard(turn, screen)


def options_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Please type the answer options in one message, each on its own line: 2 to 6 options."))
    return _with_discard(turn, screen)


def kind_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("May residents choose one option or several?"))
    screen.pair((_("One option"), "kind:single"), (_("Several options"), "kind:multiple"))
    return _with_discard(turn, screen)


def audience_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    scopes = reachable(turn)
    audience_buttons(turn, screen, scopes)
    for audience, _scope in scopes:
        where = city_name(turn, audience.city or ALL_CITIES)
        label = _("Only in the menu ({where}), no message").format(where=where)
        screen.button(label, f"audience:menu:{audience.city or ALL_CITIES}")
    return _with_discard(turn, screen)


def closes_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(
        _("When should the poll close? Please type a time, for example 18:30 or 24.12.2026 09:00 (German time).")
    )
    return _with_discard(turn, screen)


def interim_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Should residents see the current results after they answered?"))
    screen.pair((_("Yes, show them"), "interim:yes"), (_("No, only at the end"), "interim:no"))
    return _with_discard(turn, screen)


def _yes_no(turn: Turn, value: bool | None) -> str:
    _ = turn.lang.gettext
    return _("yes") if value else _("no")


def preview_screen(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    number = turn.lang.number
    draft = _draft(turn)
    audience = _audience(draft)
    screen = Screen()
    screen.text.para(bold(_("Preview")))
    screen.text.para(draft.question or "")
    for option in draft.options or []:
        screen.text.item(option)
    screen.text.item(_kind_hint(turn.lang, bool(draft.multiple)))
    size = 0 if draft.in_menu else audience_size(turn.tx, audience)
    if draft.in_menu:
        where = city_name(turn, audience.city or ALL_CITIES)
        screen.text.item(_("Recipients: nobody gets a message; in the menu ({where})").format(where=where))
    else:
        recipients = turn.lang.ngettext(
            "Recipients: {audience}, exactly {count} person right now",
            "Recipients: {audience}, exactly {count} people right now",
            size,
        )
        screen.text.item(recipients.format(audience=audience_label(turn, audience), count=number(size)))
    planned = _time(draft.send_at)
    starts = turn.lang.datetime(planned, ZONE) if planned and planned > turn.now else _("now")
    closes = _time(draft.closes_at)
    screen.text.item(_("Start: {time}").format(time=starts))
    screen.text.item(_("Closes: {time}").format(time=turn.lang.datetime(closes, ZONE) if closes else "-"))
    screen.text.item(_("Current results after answering: {answer}").format(answer=_yes_no(turn, draft.show_interim)))
    screen.text.item(_("Result to everyone who answered: {answer}").format(answer=_yes_no(turn, draft.tell_answerers)))
    written_in_item(turn, screen, draft.translations)
    if not closes_after_start(turn):
        screen.text.para(_("The poll would close before it starts. Please choose another closing time."))
    elif planned is not None and planned > turn.now:
        screen.button(_("Plan for {time}").format(time=starts), "send")
        screen.button(_("Start now instead"), "now")
    elif draft.in_menu:
        screen.button(_("Open the poll now"), "send")
    elif size > 0:
        label = turn.lang.ngettext("Send now to {count} person", "Send now to {count} people", size)
        screen.button(label.format(count=number(size)), "send")
    else:
        screen.text.para(_("Nobody would receive this message now. Choose other recipients or a later time."))
    screen.pair((_("Edit the question"), "edit_question"), (_("Edit the options"), "edit_options"))
    screen.pair((_("Other recipients"), "edit_audience"), (_("Closing time"), "edit_closing"))
    screen.pair((_("Choose a time"), "when"), (_("One or several options"), "toggle_kind"))
    screen.pair((_("Current results yes/no"), "toggle_interim"), (_("Result to those who answered"), "toggle_tell"))
    screen.button(_("Add a text in another language"), "translate")
    return _with_discard(turn, screen)


def language_screen(turn: Turn) -> Screen:
    return language_choice(turn, set(_draft(turn).translations))


def _progress(turn: Turn, step: int) -> Span:
    """``English: step 2 of 4``: the question is step 1, each option one step more."""
    _ = turn.lang.gettext
    draft = _draft(turn)
    name = turn.languages.get(draft.translating).name
    count = 1 + len(draft.options or [])
    text = _("{language}: step {number} of {count}").format(
        language=name, number=turn.lang.number(step), count=turn.lang.number(count)
    )
    return bold(text)


def translation_screen(turn: Turn) -> Screen:
    """The question in the chosen language; what was written in it before can be removed here."""
    _ = turn.lang.gettext
    draft = _draft(turn)
    code = draft.translating or turn.lang.code
    screen = Screen()
    screen.text.para(_progress(turn, 1))
    screen.text.para(
        _("Please type this question in {language}, {minimum} to {maximum} characters:").format(
            language=turn.languages.get(code).name,
            minimum=turn.lang.number(QUESTION_MIN),
            maximum=turn.lang.number(QUESTION_MAX),
        )
    )
    screen.text.para(Span(draft.question or "", "italic"))
    written = draft.translations.get(code)
    if written:
        screen.text.para(_("So far:"))
        screen.text.para(written[0])
        for option in written[1:]:
            screen.text.item(option)
        screen.button(_("Remove this language"), "remove_translation")
    screen.button(_("Back"), "back")
    return _with_discard(turn, screen)


def translation_option_screen(turn: Turn) -> Screen:
    """The next option in the chosen language, the original shown above."""
    _ = turn.lang.gettext
    draft = _draft(turn)
    options = draft.options or []
    index = min(max(len(draft.typed) - 1, 0), max(len(options) - 1, 0))
    screen = Screen()
    screen.text.para(_progress(turn, index + 2))
    screen.text.para(
        _("Please type this option in {language}, at most {maximum} characters:").format(
            language=turn.languages.get(draft.translating).name, maximum=turn.lang.number(OPTION_MAX)
        )
    )
    if options:
        screen.text.para(Span(options[index], "italic"))
    screen.button(_("Back"), "back")
    return _with_discard(turn, screen)


# -- /umfragen: polls with their figures ---------------------------------------------------------------

SHOWN = 10


def list_polls(turn: Turn, arg: Arg) -> None:
    """/umfragen"""
    turn.screen_override = listing(turn) if is_staff(grants_of(turn)) else refuse(turn, "polls", "-")


def listing(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    shown = [p for p in db.recent(turn.tx, SHOWN * 3) if allowed(turn, p.audience)][:SHOWN]
    if not shown:
        screen.text.para(_("There are no polls yet. Send /umfrage to start one."))
    for poll in shown:
        _describe(turn, screen, poll)
        if poll.is_open:
            screen.button(_("Close {number} now").format(number=poll.id), f"poll_close:{poll.id}")
    return done_screen(turn, screen)


def _describe(turn: Turn, screen: Screen, poll: db.PollRecord) -> None:
    _ = turn.lang.gettext
    number = turn.lang.number
    if poll.is_open:
        status = _("open until {time}").format(time=turn.lang.datetime(poll.closes_at, ZONE))
    else:
        status = _("closed {time}").format(time=turn.lang.datetime(poll.closed_at or poll.closes_at, ZONE))
    screen.text.para(Span(_("Poll no. {number} – {status}").format(number=poll.id, status=status), "bold"))
    screen.text.para(poll.question)
    totals = db.totals(turn.tx, poll)
    for index, label in enumerate(poll.options):
        count, share = number(totals.counts[index]), number(totals.share(index))
        screen.text.item(f"{label}: {count} ({share} %)")
    screen.text.item(_("Answers: {count}").format(count=number(totals.respondents)))


def close_poll(turn: Turn, arg: Arg) -> None:
    """A button from /umfragen: ``poll_close:3``. The role is checked now, not when it was shown."""
    _ = turn.lang.gettext
    poll_id = as_int(arg)
    poll = db.get(turn.tx, poll_id) if poll_id is not None else None
    obj = f"poll:{poll_id}"
    if not is_staff(grants_of(turn)) or poll is None or not allowed(turn, poll.audience):
        turn.screen_override = refuse(turn, "poll_close", obj)
        return
    screen = Screen()
    if db.close(turn.tx, poll.id, turn.now):
        moderation_db.audit(turn.tx, str(turn.inbound.identity), "poll_close", obj, "done", turn.now)
        screen.text.para(_("Poll no. {number} is closed. The result is on its way.").format(number=poll.id))
    else:
        screen.text.para(_("Poll no. {number} was closed already.").format(number=poll.id))
    listed = listing(turn)
    screen.text.blocks.extend(listed.blocks)
    screen.rows.extend(listed.rows)
    turn.screen_override = screen


def _typed_step(source: str, dest: str, valid: Condition, effect: Effect, explain: Effect) -> list[Transition]:
    """A typed step: to the preview when changing a complete draft, else on to `dest`; or explain."""
    return [
        {
            "trigger": "text",
            "source": source,
            "dest": "poll_preview",
            "conditions": [valid, complete],
            "before": [effect],
        },
        {"trigger": "text", "source": source, "dest": dest, "conditions": [valid], "before": [effect]},
        {"trigger": "text", "source": source, "dest": None, "before": [explain]},
    ]


FLOW = Flow(
    name="poll",
    screens={
        "polls": polls_screen,  # residents: the open polls they may answer
        "poll": poll_screen,  # residents: one poll, its options, "Danke!" and the shares, or its result
        "poll_question": question_screen,  # staff: type the poll's question
        "poll_options": options_screen,  # staff: type 2-6 options, one per line
        "poll_kind": kind_screen,  # staff: single or multiple choice
        "poll_audience": audience_screen,  # staff: all subscribers, one city's, one topic's, or only in the menu
        "poll_field": field_screen,  # staff: which topic's subscribers
        "poll_closes": closes_screen,  # staff: type when it closes
        "poll_interim": interim_screen,  # staff: current results after answering, yes or no
        "poll_preview": preview_screen,  # staff: the poll, the exact count, send or plan
        "poll_when": when_screen,  # staff: type when to send it
        "poll_language": language_screen,  # staff: which other language to write the poll in
        "poll_translation": translation_screen,  # staff: type the question in that language
        "poll_translation_option": translation_option_screen,  # staff: type the next option in that language
    },
    transitions=[
        # answering, from a poll's message or from the menu; a late tap shows the result
        {
            "trigger": "answer",
            "source": "*",
            "dest": "poll",
            "conditions": [onboarded, answerable],
            "before": [record_answer],
        },
        {"trigger": "polls", "source": "menu", "dest": "polls"},
        {
            "trigger": "open_poll",
            "source": "polls",
            "dest": "poll",
            "conditions": [visible_poll],
            "before": [open_poll],
        },
        {"trigger": "back", "source": "poll", "dest": "polls"},
        {"trigger": "back", "source": "polls", "dest": "menu"},
        # composing
        {"trigger": "umfrage", "source": "*", "dest": "poll_question", "conditions": [may_poll], "before": [start]},
        {"trigger": "umfrage", "source": "*", "dest": None, "before": [refuse_command]},
        *_typed_step("poll_question", "poll_options", valid_question, set_question, explain_question),
        *_typed_step("poll_options", "poll_kind", valid_options, set_options, explain_options),
        {
            "trigger": "kind",
            "source": "poll_kind",
            "dest": "poll_preview",
            "conditions": [complete],
            "before": [set_kind],
        },
        {"trigger": "kind", "source": "poll_kind", "dest": "poll_audience", "before": [set_kind]},
        {"trigger": "audience", "source": "poll_audience", "dest": "poll_field", "conditions": [arg_is("field")]},
        {
            "trigger": "audience",
            "source": "poll_audience",
            "dest": "poll_preview",
            "conditions": [audience_choice_allowed, complete],
            "before": [set_audience],
        },
        {
            "trigger": "audience",
            "source": "poll_audience",
            "dest": "poll_closes",
            "conditions": [audience_choice_allowed],
            "before": [set_audience],
        },
        {
            "trigger": "field",
            "source": "poll_field",
            "dest": "poll_preview",
            "conditions": [is_field, complete],
            "before": [set_field_audience],
        },
        {
            "trigger": "field",
            "source": "poll_field",
            "dest": "poll_closes",
            "conditions": [is_field],
            "before": [set_field_audience],
        },
        {"trigger": "back", "source": "poll_field", "dest": "poll_audience"},
        *_typed_step("poll_closes", "poll_interim", valid_closing, set_closing, explain_time),
        {"trigger": "interim", "source": "poll_interim", "dest": "poll_preview", "before": [set_interim]},
        {"trigger": "edit_question", "source": "poll_preview", "dest": "poll_question"},
        {"trigger": "edit_options", "source": "poll_preview", "dest": "poll_options"},
        {"trigger": "edit_audience", "source": "poll_preview", "dest": "poll_audience"},
        {"trigger": "edit_closing", "source": "poll_preview", "dest": "poll_closes"},
        {"trigger": "toggle_kind", "source": "poll_preview", "dest": "poll_preview", "before": [toggle_kind]},
        {"trigger": "toggle_interim", "source": "poll_preview", "dest": "poll_preview", "before": [toggle_interim]},
        {"trigger": "toggle_tell", "source": "poll_preview", "dest": "poll_preview", "before": [toggle_tell]},
        {"trigger": "when", "source": "poll_preview", "dest": "poll_when"},
        *_typed_step("poll_when", "poll_preview", valid_start, set_start, explain_time),
        {"trigger": "back", "source": "poll_when", "dest": "poll_preview"},
        {"trigger": "now", "source": "poll_preview", "dest": "poll_preview", "before": [clear_start]},
        {
            "trigger": "send",
            "source": "poll_preview",
            "dest": "menu",
            "conditions": [may_send, in_time],
            "before": [queue],
        },
        {"trigger": "send", "source": "poll_preview", "dest": "poll_preview", "conditions": [may_send]},
        {"trigger": "send", "source": "poll_preview", "dest": "menu", "before": [refuse_send]},
        # the poll in further languages: the question, then each option in the original's order
        {"trigger": "translate", "source": "poll_preview", "dest": "poll_language"},
        {"trigger": "back", "source": "poll_language", "dest": "poll_preview"},
        {
            "trigger": "translate_to",
            "source": "poll_language",
            "dest": "poll_translation",
            "conditions": [is_other_language],
            "before": [set_translating],
        },
        {
            "trigger": "text",
            "source": "poll_translation",
            "dest": "poll_translation_option",
            "conditions": [valid_question],
            "before": [set_translated_question],
        },
        {"trigger": "text", "source": "poll_translation", "dest": None, "before": [explain_question]},
        {
            "trigger": "remove_translation",
            "source": "poll_translation",
            "dest": "poll_preview",
            "before": [remove_translation],
        },
        {"trigger": "back", "source": "poll_translation", "dest": "poll_language", "before": [stop_translating]},
        {
            "trigger": "text",
            "source": "poll_translation_option",
            "dest": "poll_preview",
            "conditions": [valid_translated_option, last_option],
            "before": [add_translated_option],
        },
        {
            "trigger": "text",
            "source": "poll_translation_option",
            "dest": "poll_translation_option",
            "conditions": [valid_translated_option],
            "before": [add_translated_option],
        },
        {"trigger": "text", "source": "poll_translation_option", "dest": None, "before": [explain_translated_option]},
        {
            "trigger": "back",
            "source": "poll_translation_option",
            "dest": "poll_translation_option",
            "conditions": [typed_an_option],
            "before": [step_back],
        },
        {"trigger": "back", "source": "poll_translation_option", "dest": "poll_translation", "before": [step_back]},
        {"trigger": "discard", "source": STEPS, "dest": "menu", "before": [discard]},
    ],
    commands=(
        Command("umfrage", N_("Start a quick poll"), STAFF, aliases=("poll",)),
        Command("umfragen", N_("Polls: results, close early"), STAFF, run=list_polls, aliases=("polls",)),
    ),
    actions={"poll_close": close_poll},
)
