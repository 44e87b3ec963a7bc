"""Moderation: roles, the queue, decisions on ideas, merging, progress and bars, by commands and buttons.

Every privileged action checks the actor's role when it is executed — not when a
button was shown — and is written to the audit log, done or refused. Decisions on
ideas are first-come: the second moderator is told who decided.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from dialogs import roles
from dialogs.flow import Arg, Command, Flow
from dialogs.i18n import N_, Language
from dialogs.messages import Block, Button, Identity, Outbound, Reply, Span
from dialogs.names import PROGRESS_NAMES, STATUS_NAMES, city_in, city_name
from dialogs.payloads import Action, TokenChoice, encode, idea_link
from dialogs.roles import ADMIN, ANY_ROLE, MODERATING, STAFF, done_screen, grants_of, refuse
from dialogs.screen import Screen, lines
from dialogs.similar import SimilarIdea
from dialogs.turn import Turn
from storage import moderation as db
from storage.models import ALL_CITIES, IdeaStatus, Progress, Role
from storage.store import IdeaRecord

REASONS = {
    "duplicate": N_("a similar idea already exists"),
    "off_topic": N_("it does not fit the smart-city strategy"),
    "not_responsible": N_("it is not the cities' responsibility"),
    "rules": N_("it breaks the rules of participation"),
}
DECISIONS = {"approve": IdeaStatus.APPROVED, "reject": IdeaStatus.REJECTED, "hide": IdeaStatus.HIDDEN}
IDEA_COMMAND_ROLES = {
    "approve": MODERATING,
    "reject": MODERATING,
    "hide": MODERATING,
    "merge": MODERATING,
    "progress": STAFF,
}
"""Who may use a command on an idea at all; checked before the idea is looked up."""


def _actor(turn: Turn) -> str:
    return str(turn.inbound.identity)


def may_moderate(turn: Turn, idea: IdeaRecord, role: Role = Role.MODERATOR) -> bool:
    """Admins everywhere; moderators (or staff) for their city, for ideas of all cities, or everywhere."""
    return roles.may_act_on(grants_of(turn), idea.city, role)


# -- commands ----------------------------------------------------------------------------


Handler = Callable[[Turn, str, str | None], Screen]
"""A moderation command's handler: (turn, command name, its argument) -> its answer."""


def idea_command(turn: Turn, name: str, arg: str | None) -> Screen:
    """/approve, /reject, /hide, /merge and /progress: the role first, then the idea's number."""
    words = (arg or "").split()
    if not roles.has_any(grants_of(turn), IDEA_COMMAND_ROLES[name]):
        # before the usage and the lookup: residents learn nothing about ideas
        return refuse(turn, name, f"idea:{words[0]}" if words and words[0].isdigit() else "-")
    if not words or not words[0].isdigit():
        _ = turn.lang.gettext
        return done_screen(
            turn, lines(_("Please add the idea's number, for example: /{command} 42").format(command=name))
        )
    reason = " ".join((arg or "").split(maxsplit=1)[1:]).strip() or None
    if name == "merge":
        return merge(turn, int(words[0]), words[1] if len(words) > 1 else "")
    if name == "progress":
        return progress(turn, int(words[0]), words[1:])
    return decide(turn, name, int(words[0]), reason)


def decision_button(turn: Turn, arg: Arg) -> None:
    """A moderation button: ``mod:approve:42``, ``mod:reject:42:duplicate``, ``mod:merge:42:17``."""
    parts = (arg or "").split(":")
    if len(parts) == 3 and parts[0] == "merge" and all(p.isascii() and p.isdigit() for p in parts[1:]):
        turn.screen_override = merge(turn, int(parts[1]), parts[2])
        return
    if len(parts) < 2 or parts[0] not in DECISIONS or not parts[1].isascii() or not parts[1].isdigit():
        _ = turn.lang.gettext
        turn.screen_override = done_screen(turn, lines(_("This menu is out of date. Here is the current one.")))
        return
    reason = REASONS.get(parts[2]) if len(parts) > 2 else None
    reason_text = turn.lang.gettext(reason) if reason else None
    turn.screen_override = decide(turn, parts[0], int(parts[1]), reason_text, pending_only=True)


def action_of_token(turn: Turn, choice: TokenChoice) -> Action | None:
    """The action behind a button in a moderator's notification, for its recipient, until it expires."""
    identity = turn.inbound.identity
    issued_after = turn.now - timedelta(days=turn.action_token_days)
    found = db.action_for_token(turn.tx, choice.token, identity.platform, identity.user_id, issued_after)
    return Action.parse(found) if found is not None else None


def whoami(turn: Turn, name: str, arg: str | None) -> Screen:
    _ = turn.lang.gettext
    said = [_("You are {identity}.").format(identity=_actor(turn))]
    found = grants_of(turn)
    if not found:
        said.append(_("You take part as a resident, without special roles."))
    for grant in found:
        said.append(_("Role: {role} ({city})").format(role=_(ROLE_NAMES[grant.role]), city=city_name(turn, grant.city)))
    return done_screen(turn, lines(*said))


ROLE_NAMES = {Role.MODERATOR: N_("moderator"), Role.STAFF: N_("staff"), Role.ADMIN: N_("admin")}


def change_role(turn: Turn, command: str, arg: str | None) -> Screen:
    """/grant and /revoke, for admins."""
    _ = turn.lang.gettext
    words = (arg or "").split()
    target = words[0] if words else ""
    if not roles.is_admin(grants_of(turn)):
        return refuse(turn, command, target or "-")
    usage = _("Please write it like this: /{command} telegram:12345 moderator aalen").format(command=command)
    try:
        identity = Identity.parse(target)
        role = Role(words[1])
    except (ValueError, IndexError):
        return done_screen(turn, lines(usage))
    city = words[2] if len(words) > 2 else ALL_CITIES
    if city != ALL_CITIES and turn.content.city(city) is None:
        return done_screen(turn, lines(usage))
    if command == "grant":
        changed = db.grant(turn.tx, identity.platform, identity.user_id, role, city, _actor(turn), turn.now)
        done = _("{identity} is now {role} for {city}.")
    else:
        changed = db.revoke(turn.tx, identity.platform, identity.user_id, role, city)
        done = _("{identity} is no longer {role} for {city}.")
    db.audit(
        turn.tx, _actor(turn), command, f"{identity}:{role.value}:{city}", "done" if changed else "unchanged", turn.now
    )
    if changed:
        _tell_role_holder(turn, command, identity, role, city)
    text = done if changed else _("Nothing changed: that was already so.")
    return done_screen(
        turn, lines(text.format(identity=identity, role=_(ROLE_NAMES[role]), city=city_name(turn, city)))
    )


def _tell_role_holder(turn: Turn, command: str, identity: Identity, role: Role, city: str) -> None:
    """The person granted or losing a role hears of it at once, where they talk to the bot."""
    contact = db.contact_of(turn.tx, identity.platform, identity.user_id, reachable_only=True)
    if contact is None:
        return  # they have not written to the bot yet: there is no chat to tell them in
    lang = turn.languages.get(contact.language)
    _ = lang.gettext
    if command == "grant":
        text = _("You are now {role} for {city}. Send /help to see your commands.")
    else:
        text = _("You are no longer {role} for {city}.")
    text = text.format(role=_(ROLE_NAMES[role]), city=city_in(turn, lang, city))
    reply = Reply(blocks=(Block((Span(text),)),), language=lang.code, roles_changed=True)
    turn.others.append(Outbound(identity, contact.chat_id, reply))


def queue(turn: Turn, name: str, arg: str | None) -> Screen:
    _ = turn.lang.gettext
    found = grants_of(turn)
    cities = [ALL_CITIES] if roles.is_admin(found) else [g.city for g in found if g.role is Role.MODERATOR]
    if not cities:
        return refuse(turn, "queue", "-")
    pending = db.pending_ideas(turn.tx, cities)
    if not pending:
        return done_screen(turn, lines(_("Nothing is waiting for a decision.")))
    total = db.count_pending(turn.tx, cities)
    screen = lines(
        _("{shown} of {total} ideas waiting for a decision, the oldest first:").format(
            shown=turn.lang.number(len(pending)), total=turn.lang.number(total)
        )
    )
    me = turn.inbound.identity
    for idea in pending:  # one message each, its buttons under it
        if idea.updated_at > idea.created_at:  # its author changed it after it came in
            heading = _("No. {number} (changed): {title}").format(number=idea.id, title=idea.title)
        else:
            heading = _("No. {number}: {title}").format(number=idea.id, title=idea.title)
        reply = _idea_message(turn, turn.lang, me, idea, heading, similar_to(turn, idea), found)
        turn.others.append(Outbound(me, turn.inbound.chat_id, reply))
    return done_screen(turn, screen)


def _idea_message(
    turn: Turn,
    lang: Language,
    recipient: Identity,
    idea: IdeaRecord,
    heading: str,
    alike: list[SimilarIdea],
    held: list[db.Grant],
) -> Reply:
    """An idea waiting for a decision, for one moderator: its text, the ideas like it, and the
    buttons to decide or merge (action tokens for this recipient, valid for `action_token_days`)."""
    _ = lang.gettext

    def token_button(label: str, action: str) -> Button:
        token = db.new_action_token(turn.tx, recipient.platform, recipient.user_id, action, turn.now)
        return Button(label, encode(TokenChoice(token)))

    rows = [tuple(token_button(label, action) for label, action in _decision_buttons(lang, idea.id))]
    rows.extend((token_button(label, action),) for label, action in _merge_buttons(lang, idea.id, alike, held))
    blocks = (
        Block((Span(heading, "bold"),)),
        Block((Span(idea.description),)),
        Block((Span(_("City: {city}").format(city=city_in(turn, lang, idea.city))),), item=True),
        Block((Span(_("Submitted on {date}").format(date=lang.date(idea.created_at))),), item=True),
        *_similar_blocks(turn, lang, alike),
    )
    return Reply(blocks=blocks, buttons=tuple(rows), language=lang.code)


def similar_to(turn: Turn, idea: IdeaRecord) -> list[SimilarIdea]:
    """Published and pending ideas like `idea`, of every city, for the moderator's decision."""
    if turn.similar is None:
        return []
    return turn.similar.find(turn.tx, idea.title, idea.description, exclude={idea.id})


def _similar_blocks(turn: Turn, lang: Language, found: list[SimilarIdea]) -> list[Block]:
    """ "Similar ideas:" and one line each, in `lang` (a moderator's, who may not be the one pressing)."""
    if not found:
        return []
    _ = lang.gettext
    blocks = [Block((Span(_("Similar ideas:")),))]
    for similar in found:
        status = _(STATUS_NAMES[IdeaStatus(similar.status)])
        line = _("No. {number}: {title} ({status}, {city})").format(
            number=similar.id, title=similar.title, status=status, city=city_in(turn, lang, similar.city)
        )
        blocks.append(Block((Span(line),), item=True))
    return blocks


def _merge_buttons(
    lang: Language, idea_id: int, found: list[SimilarIdea], held: list[db.Grant]
) -> list[tuple[str, str]]:
    """One tap merges the new idea into a published similar one that the moderator's roles cover.

    Pending ideas cannot take a merge; the role is checked again when the button is pressed."""
    _ = lang.gettext
    return [
        (_("🔗 Merge {number} into no. {target}").format(number=idea_id, target=s.id), f"mod:merge:{idea_id}:{s.id}")
        for s in found
        if s.status == IdeaStatus.APPROVED and roles.may_act_on(held, s.city)
    ]


def _decision_buttons(lang: Language, idea_id: int) -> list[tuple[str, str]]:
    _ = lang.gettext
    return [
        (_("✅ Approve {number}").format(number=idea_id), f"mod:approve:{idea_id}"),
        (_("Reject {number}").format(number=idea_id), f"mod:reject:{idea_id}"),
        (_("Hide {number}").format(number=idea_id), f"mod:hide:{idea_id}"),
    ]


# -- decisions ------------------------------------------------------------------------------


def decide(turn: Turn, command: str, idea_id: int, reason: str | None, *, pending_only: bool = False) -> Screen:
    """A decision by command or, with `pending_only`, by a button: buttons are shown for pending
    ideas only, so once anyone has decided, an old button (Hide on what is now published) is dead."""
    _ = turn.lang.gettext
    obj = f"idea:{idea_id}"
    if not roles.has_any(grants_of(turn), MODERATING):
        return refuse(turn, command, obj)  # before the lookup: residents learn nothing about ideas
    idea = turn.tx.get_idea(idea_id)
    if idea is None:
        db.audit(turn.tx, _actor(turn), command, obj, "refused", turn.now)
        return done_screen(turn, lines(_("There is no idea with the number {number}.").format(number=idea_id)))
    if not may_moderate(turn, idea):
        return refuse(turn, command, obj)
    if command == "reject" and not reason and idea.status == IdeaStatus.PENDING:
        return _ask_reason(turn, idea)
    if not db.decide(turn.tx, idea_id, DECISIONS[command], _actor(turn), reason, turn.now, pending_only=pending_only):
        who, _when = db.decision_of(turn.tx, idea_id)
        db.audit(turn.tx, _actor(turn), command, obj, "conflict", turn.now, reason)
        status = _(STATUS_DONE.get(idea.status, DECIDED))
        text = _("Idea no. {number} was already {status} by {who}.").format(number=idea_id, status=status, who=who)
        return done_screen(turn, lines(text))
    db.audit(turn.tx, _actor(turn), command, obj, "done", turn.now, reason)
    _tell_author(turn, idea, DECISIONS[command], reason)
    if idea.status == IdeaStatus.APPROVED:
        _tell_supporters(turn, idea, DECISIONS[command])
    done = _(STATUS_DONE[DECISIONS[command].value])
    return done_screen(turn, lines(_("Idea no. {number} has been {status}.").format(number=idea_id, status=done)))


DECIDED = N_("decided")
STATUS_DONE = {
    IdeaStatus.APPROVED.value: N_("approved"),
    IdeaStatus.REJECTED.value: N_("rejected"),
    IdeaStatus.HIDDEN.value: N_("hidden"),
}


def _ask_reason(turn: Turn, idea: IdeaRecord) -> Screen:
    _ = turn.lang.gettext
    screen = lines(
        _("Why is idea no. {number} not published? The author will read the reason.").format(number=idea.id),
        _("Choose a reason, or type your own: /reject {number} your reason").format(number=idea.id),
    )
    for code, text in REASONS.items():
        screen.button(_(text), f"mod:reject:{idea.id}:{code}")
    return done_screen(turn, screen)


def _notice(contact: db.Contact, text: str, turn: Turn | None = None, idea_id: int | None = None) -> Outbound:
    """A message to someone else; with `idea_id`, a button under it opens that idea."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    if turn is not None and idea_id is not None:
        label = turn.languages.get(contact.language).gettext("To the idea")
        buttons = ((Button(label, idea_link(idea_id)),),)
    reply = Reply(blocks=(Block((Span(text),)),), buttons=buttons)
    return Outbound(Identity(contact.platform, contact.user_id), contact.chat_id, reply)


def _tell_author(turn: Turn, idea: IdeaRecord, status: IdeaStatus, reason: str | None) -> None:
    author = db.author_of(turn.tx, idea)
    if author is None:
        return
    _ = turn.languages.get(author.language).gettext
    if status is IdeaStatus.APPROVED:
        text = _("Good news: your idea “{title}” has been published. Others can now support it.")
    elif status is IdeaStatus.REJECTED:
        text = _("Your idea “{title}” was not published. The reason: {reason}")
    else:
        text = _("Your idea “{title}” has been hidden by the moderation team.")
    turn.others.append(_notice(author, text.format(title=idea.title, reason=reason or ""), turn, idea.id))


def _tell_supporters(turn: Turn, idea: IdeaRecord, status: IdeaStatus) -> None:
    for supporter in db.supporters_of(turn.tx, idea.id):
        _ = turn.languages.get(supporter.language).gettext
        text = _("An idea you support, “{title}”, has been hidden by the moderation team.")
        turn.others.append(_notice(supporter, text.format(title=idea.title)))


def notify_moderators(turn: Turn, idea_id: int, *, changed: bool = False) -> None:
    """A new idea: every moderator of its city and every admin from BOT_ADMINS hears of it once,
    with buttons to decide (valid for `action_token_days`)."""
    idea = turn.tx.get_idea(idea_id)
    if idea is None:
        return
    db.prune_action_tokens(turn.tx, turn.now - timedelta(days=turn.action_token_days))
    recipients = {(c.platform, c.user_id): c for c in db.moderators_for(turn.tx, idea.city)}
    for admin in sorted(turn.admins, key=str):
        contact = db.contact_of(turn.tx, admin.platform, admin.user_id, reachable_only=True)
        if contact is not None:
            recipients.setdefault((admin.platform, admin.user_id), contact)
    found = similar_to(turn, idea)
    for moderator in recipients.values():
        lang = turn.languages.get(moderator.language)
        recipient = Identity(moderator.platform, moderator.user_id)
        if changed:
            text = lang.gettext("Idea no. {number} was changed by its author and is waiting for a decision: {title}")
        else:
            text = lang.gettext("New idea no. {number} is waiting for a decision: {title}")
        heading = text.format(number=idea.id, title=idea.title)
        held = roles.grants(turn.tx, turn.admins, recipient)
        reply = _idea_message(turn, lang, recipient, idea, heading, found, held)
        turn.others.append(Outbound(recipient, moderator.chat_id, reply))


# -- merging, progress, barring ----------------------------------------------------------------


def merge(turn: Turn, duplicate_id: int, target_word: str) -> Screen:
    _ = turn.lang.gettext
    obj = f"idea:{duplicate_id}"
    usage = _("Please write it like this: /merge 12 34 — merges idea 12 into the published idea 34.")
    if not roles.has_any(grants_of(turn), MODERATING):
        return refuse(turn, "merge", obj)  # before the lookup: residents learn nothing about ideas
    if not target_word.isdigit() or int(target_word) == duplicate_id:
        return done_screen(turn, lines(usage))
    # Locked from here to the commit, so the supporters told below are exactly those moved.
    ideas = db.lock_ideas(turn.tx, duplicate_id, int(target_word))
    duplicate, target = ideas.get(duplicate_id), ideas.get(int(target_word))
    if duplicate is None or target is None:
        return done_screen(turn, lines(usage))
    if not (may_moderate(turn, duplicate) and may_moderate(turn, target)):
        return refuse(turn, "merge", obj)
    if target.status != IdeaStatus.APPROVED:
        return done_screen(turn, lines(usage))
    told = _author_list(turn, duplicate) + db.supporters_of(turn.tx, duplicate.id)
    if db.merge(turn.tx, duplicate.id, target.id, _actor(turn), turn.now) is not db.MergeResult.DONE:
        db.audit(turn.tx, _actor(turn), "merge", obj, "conflict", turn.now)
        who, _when = db.decision_of(turn.tx, duplicate.id)
        text = _("Idea no. {number} was already {status} by {who}.")
        return done_screen(turn, lines(text.format(number=duplicate.id, status=_(DECIDED), who=who)))
    db.audit(turn.tx, _actor(turn), "merge", obj, "done", turn.now, f"idea:{target.id}")
    for contact in told:
        lang = turn.languages.get(contact.language)
        text = lang.gettext("“{title}” was merged with the similar idea “{target}”. Support counts there now.")
        turn.others.append(_notice(contact, text.format(title=duplicate.title, target=target.title), turn, target.id))
    merged = turn.tx.get_idea(target.id)
    count = merged.support_count if merged else 0
    text = _("Idea no. {number} is now part of idea no. {target}, which has {count} supporters.")
    return done_screen(turn, lines(text.format(number=duplicate.id, target=target.id, count=turn.lang.number(count))))


def _author_list(turn: Turn, idea: IdeaRecord) -> list[db.Contact]:
    author = db.author_of(turn.tx, idea)
    return [author] if author else []


PROGRESS_WORDS = {
    "reviewed": Progress.REVIEWED,
    "geprüft": Progress.REVIEWED,
    "in_progress": Progress.IN_PROGRESS,
    "umsetzung": Progress.IN_PROGRESS,
    "done": Progress.DONE,
    "umgesetzt": Progress.DONE,
    "not_feasible": Progress.NOT_FEASIBLE,
    "nicht_umsetzbar": Progress.NOT_FEASIBLE,
}


def progress(turn: Turn, idea_id: int, words: list[str]) -> Screen:
    """Staff tell what became of a published idea; author and supporters hear of it."""
    _ = turn.lang.gettext
    obj = f"idea:{idea_id}"
    idea = turn.tx.get_idea(idea_id)
    usage = _(
        "Please write it like this: /progress 42 umsetzung — or geprüft, umgesetzt, nicht_umsetzbar with a reason."
    )
    if idea is None:
        return done_screen(turn, lines(usage))
    if not may_moderate(turn, idea, Role.STAFF):
        return refuse(turn, "progress", obj)
    state = PROGRESS_WORDS.get(words[0].lower()) if words else None
    reason = " ".join(words[1:]).strip() or None
    if state is None or (state is Progress.NOT_FEASIBLE and reason is None) or idea.status != IdeaStatus.APPROVED:
        return done_screen(turn, lines(usage))
    unchanged = idea.progress == state.value and idea.progress_reason == reason
    db.set_progress(turn.tx, idea.id, state, reason, turn.now)
    db.audit(
        turn.tx,
        _actor(turn),
        "progress",
        obj,
        "unchanged" if unchanged else "done",
        turn.now,
        f"{state.value}: {reason or ''}",
    )
    for contact in [] if unchanged else _author_list(turn, idea) + db.supporters_of(turn.tx, idea.id):
        lang = turn.languages.get(contact.language)
        text = lang.gettext("News about “{title}”: {progress}.").format(
            title=idea.title, progress=lang.gettext(PROGRESS_NAMES[state])
        )
        if reason:
            text += " " + lang.gettext("Note: {note}").format(note=reason)
        turn.others.append(_notice(contact, text, turn, idea.id))
    text = _("Idea no. {number} is now: {progress}.").format(number=idea.id, progress=_(PROGRESS_NAMES[state]))
    return done_screen(turn, lines(text))


def bar(turn: Turn, command: str, arg: str | None) -> Screen:
    """Bar a resident from submitting ideas (with a reason), or lift it."""
    _ = turn.lang.gettext
    words = (arg or "").split()
    target = words[0] if words else "-"
    if not roles.has_any(grants_of(turn), MODERATING):
        return refuse(turn, command, target)
    reason = " ".join(words[1:]).strip() or None
    usage = _("Please write it like this: /bar telegram:12345 reason — and /unbar telegram:12345 to lift it.")
    try:
        identity = Identity.parse(target)
    except ValueError:
        return done_screen(turn, lines(usage))
    if command == "bar" and reason is None:
        return done_screen(turn, lines(usage))
    now = turn.now if command == "bar" else None
    if not db.set_barred(turn.tx, identity.platform, identity.user_id, reason, now):
        return done_screen(turn, lines(_("Nobody with this identity has used the bot.")))
    db.audit(turn.tx, _actor(turn), command, f"{identity}", "done", turn.now, reason)
    if command == "bar":
        return done_screen(turn, lines(_("{identity} can no longer submit ideas.").format(identity=identity)))
    return done_screen(turn, lines(_("{identity} can submit ideas again.").format(identity=identity)))


def _command(name: str, help_text: str, who: frozenset[Role], handler: Handler) -> Command:
    """A moderation command: `handler` answers with a screen of its own and checks the role itself."""

    def run(turn: Turn, arg: Arg) -> None:
        turn.screen_override = handler(turn, name, arg)

    run.__name__ = f"run_{name}"
    return Command(name, help_text, who, run=run)


FLOW = Flow(
    name="moderation",
    screens={},
    transitions=[],
    commands=(
        _command("whoami", N_("Your identity and roles"), ANY_ROLE, whoami),
        _command("queue", N_("Ideas waiting for a decision"), MODERATING, queue),
        _command("approve", N_("Publish an idea: /approve 42"), MODERATING, idea_command),
        _command("reject", N_("Reject with a reason: /reject 42"), MODERATING, idea_command),
        _command("hide", N_("Hide an idea: /hide 42"), MODERATING, idea_command),
        _command("merge", N_("Merge a duplicate: /merge 42 17"), MODERATING, idea_command),
        _command("bar", N_("Bar from submitting: /bar telegram:123 reason"), MODERATING, bar),
        _command("unbar", N_("Lift a bar: /unbar telegram:123"), MODERATING, bar),
        _command("progress", N_("Report progress: /progress 42 umsetzung"), STAFF, idea_command),
        _command("grant", N_("Give a role: /grant telegram:123 moderator aalen"), ADMIN, change_role),
        _command("revoke", N_("Take a role away"), ADMIN, change_role),
    ),
    actions={"mod": decision_button},
)
