"""Submitting an idea: consent, title, description, similar ideas, topic, city, preview, confirm.

The draft lives in the conversation (`IdeaDraft`). After the description, published and
pending ideas like it (dialogs/similar.py) are offered to support instead; "My idea is
different" goes on. From the preview, each part can be changed; the answer leads back to
the preview. "Cancel" (a global command) drops the draft.
"""

from __future__ import annotations

from datetime import timedelta

from dialogs import inputs
from dialogs.conversation import IdeaDraft
from dialogs.flow import Arg, Condition, Flow, arg_is, as_int, clear_flow, say_cancelled
from dialogs.flows import news
from dialogs.flows.ideas import is_field
from dialogs.messages import bold, italic
from dialogs.names import all_cities, city_name, field_title, localized, short, working_title_note
from dialogs.screen import Screen
from dialogs.similar import SimilarIdea
from dialogs.turn import Turn
from storage import moderation as moderation_db
from storage.models import ALL_CITIES, IdeaStatus
from storage.similarity import SUGGESTED
from storage.store import IdeaRecord

# -- conditions --------------------------------------------------------------------------------


def _draft(turn: Turn) -> IdeaDraft:
    if turn.conversation.idea_draft is None:
        turn.conversation.idea_draft = IdeaDraft()
    return turn.conversation.idea_draft


def is_draft_city(turn: Turn, arg: Arg) -> bool:
    return arg == ALL_CITIES or (arg is not None and turn.content.city(arg) is not None)


def editing(turn: Turn, arg: Arg) -> bool:
    return turn.conversation.editing_draft


def field_preset(turn: Turn, arg: Arg) -> bool:
    draft = turn.conversation.idea_draft
    return draft is not None and bool(draft.field)


def valid_title(turn: Turn, arg: Arg) -> bool:
    return inputs.check_title(turn.inbound.text).problem is None


def valid_description(turn: Turn, arg: Arg) -> bool:
    return inputs.check_description(turn.inbound.text).problem is None


def may_not_submit(turn: Turn, arg: Arg) -> bool:
    """Barred by a moderator, or today's submissions used up."""
    if moderation_db.barred_reason(turn.tx, turn.resident.id) is not None:
        return True
    since = turn.now - timedelta(days=1)
    return moderation_db.submissions_since(turn.tx, turn.resident.id, since) >= turn.submission_limit


def similar_ideas_found(turn: Turn, arg: Arg) -> bool:
    """Published or pending ideas of others like the draft exist (looked up once per event, kept on the turn).

    The draft is read with what was just typed as the part this step asks for."""
    if turn.similar is None:
        return False
    if turn.similar_found is None:
        draft = turn.conversation.idea_draft or IdeaDraft()
        typed = inputs.clean(turn.inbound.text, single_line=False)
        title = typed if turn.state == "submit_title" else draft.title or ""
        description = typed if turn.state == "submit_description" else draft.description or ""
        turn.similar_found = _similar(turn, title, description)
    return bool(turn.similar_found)


def _similar(turn: Turn, title: str, description: str) -> list[SimilarIdea]:
    """Ideas like these words, without the resident's own."""
    if turn.similar is None:
        return []
    own = {idea.id for idea in turn.tx.ideas_of_author(turn.resident.id)}
    return turn.similar.find(turn.tx, title, description, exclude=own)


def description_preset(turn: Turn, arg: Arg) -> bool:
    draft = turn.conversation.idea_draft
    return draft is not None and bool(draft.description)


def title_preset(turn: Turn, arg: Arg) -> bool:
    draft = turn.conversation.idea_draft
    return draft is not None and bool(draft.title)


def offer_fits(turn: Turn, arg: Arg) -> bool:
    """Typed text that could be an idea: two words or more, no question (those get the help hint),
    and a title or a description by length."""
    text = inputs.clean(turn.inbound.text, single_line=False)
    if len(text.split()) < OFFER_MIN_WORDS or text.endswith("?"):
        return False
    return inputs.check_title(text).problem is None or inputs.check_description(text).problem is None


def title_preset_in_offer(turn: Turn, arg: Arg) -> bool:
    """The offered text will be the draft's title (it fits one)."""
    return inputs.check_title(turn.conversation.offered_text or "").problem is None


def description_in_offer(turn: Turn, arg: Arg) -> bool:
    return not title_preset_in_offer(turn, arg)


def offered_in_field(turn: Turn, arg: Arg) -> bool:
    return turn.conversation.back_to == "field" and is_field(turn, turn.conversation.topic)


def _offered(turn: Turn, arg: Arg) -> IdeaRecord | None:
    """The idea `arg` if it was offered on the similar-ideas screen and can still be supported, row locked."""
    idea_id = as_int(arg)
    if idea_id is None or idea_id not in turn.conversation.similar_ideas:
        return None
    idea = turn.tx.lock_idea(idea_id)
    return idea if idea is not None and idea.status in SUGGESTED else None


def offered_and_open(turn: Turn, arg: Arg) -> bool:
    return _offered(turn, arg) is not None


def agreed_before(turn: Turn, arg: Arg) -> bool:
    """The resident agreed to this version of the privacy note at an earlier submission."""
    return turn.conversation.privacy_note_seen >= PRIVACY_NOTE


def draft_complete(turn: Turn, arg: Arg) -> bool:
    draft = turn.conversation.idea_draft
    return draft is not None and draft.complete


# -- effects ----------------------------------------------------------------------------------


def start_draft(turn: Turn, arg: Arg) -> None:
    clear_flow(turn, arg)
    topic = turn.conversation.topic if arg == "here" else None
    turn.conversation.idea_draft = IdeaDraft(field=topic)


def remember_agreement(turn: Turn, arg: Arg) -> None:
    turn.conversation.privacy_note_seen = PRIVACY_NOTE


def remember_offer(turn: Turn, arg: Arg) -> None:
    """Keep what was typed, where (menu or Handlungsfeld), and the ideas like it."""
    text = inputs.clean(turn.inbound.text, single_line=False)
    back_to = "field" if turn.state == "field" else "menu"
    clear_flow(turn, arg)
    turn.conversation.offered_text = text
    turn.conversation.back_to = back_to
    turn.conversation.similar_ideas = [idea.id for idea in _similar(turn, text, "")]


def start_offered_draft(turn: Turn, arg: Arg) -> None:
    """The offered text becomes the title (when it is short enough) or the description."""
    text = turn.conversation.offered_text or ""
    topic = turn.conversation.topic if offered_in_field(turn, arg) else None
    clear_flow(turn, arg)
    draft = IdeaDraft(field=topic)
    as_title = inputs.check_title(text)
    if as_title.problem is None:
        draft.title = as_title.value
    else:
        draft.description = inputs.check_description(text).value
    turn.conversation.idea_draft = draft


def drop_offer(turn: Turn, arg: Arg) -> None:
    turn.conversation.offered_text = None
    turn.conversation.similar_ideas = []


def start_editing(turn: Turn, arg: Arg) -> None:
    turn.conversation.editing_draft = True


def set_title(turn: Turn, arg: Arg) -> None:
    _draft(turn).title = inputs.check_title(turn.inbound.text).value
    turn.conversation.editing_draft = False


def set_description(turn: Turn, arg: Arg) -> None:
    _draft(turn).description = inputs.check_description(turn.inbound.text).value
    turn.conversation.editing_draft = False


def remember_similar(turn: Turn, arg: Arg) -> None:
    turn.conversation.similar_ideas = [idea.id for idea in turn.similar_found or ()]


def forget_similar(turn: Turn, arg: Arg) -> None:
    turn.conversation.similar_ideas = []


def support_instead(turn: Turn, arg: Arg) -> None:
    """Support an offered idea instead of submitting the draft (or the typed text), which is dropped."""
    _ = turn.lang.gettext
    idea = _offered(turn, arg)
    assert idea is not None  # offered_and_open
    had_draft = turn.conversation.idea_draft is not None
    clear_flow(turn, arg)
    if not turn.tx.add_vote(turn.resident.id, idea.id, turn.now):
        turn.note(_("You already support “{title}”.").format(title=idea.title))
    else:
        turn.note(_("Thank you! You now support “{title}”.").format(title=idea.title))
        news.contributed(turn)
        if idea.status == IdeaStatus.PENDING:
            turn.note(_("It is still being reviewed."))
    if had_draft:
        turn.note(_("Your draft was not submitted."))


def say_no_longer_open(turn: Turn, arg: Arg) -> None:
    _ = turn.lang.gettext
    turn.note(_("This idea can no longer be supported. Choose another one, or go on with your own idea."))


def set_draft_field(turn: Turn, arg: Arg) -> None:
    _draft(turn).field = arg
    turn.conversation.editing_draft = False


def set_draft_city(turn: Turn, arg: Arg) -> None:
    _draft(turn).city = arg
    turn.conversation.editing_draft = False


def explain_title(turn: Turn, arg: Arg) -> None:
    explain_problem(turn, inputs.check_title(turn.inbound.text), inputs.TITLE_MIN, inputs.TITLE_MAX)


def explain_description(turn: Turn, arg: Arg) -> None:
    checked = inputs.check_description(turn.inbound.text)
    explain_problem(turn, checked, inputs.DESCRIPTION_MIN, inputs.DESCRIPTION_MAX)


def explain_problem(turn: Turn, checked: inputs.Checked, minimum: int, maximum: int) -> None:
    """Why a typed text was not taken, in the resident's words."""
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
    draft = _draft(turn)
    assert draft.title and draft.description and draft.field and draft.city  # draft_complete
    idea_id = turn.tx.create_idea(
        title=draft.title,
        description=draft.description,
        field_id=draft.field,
        city=draft.city,
        author_id=turn.resident.id,
        now=turn.now,
    )
    clear_flow(turn, arg)
    turn.submitted_idea = idea_id
    news.contributed(turn)
    _ = turn.lang.gettext
    turn.note(bold(_("Thank you! Your idea has been received (no. {number}).").format(number=idea_id)))
    turn.note(
        _(
            "What happens next: the moderation team of the Smart-City office checks it, usually "
            "within a few working days. Once it is published, others can support it. You can "
            "follow its status under “My ideas”."
        )
    )


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


# -- screens ----------------------------------------------------------------------------------


def consent(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    number = turn.lang.number
    screen = Screen()
    screen.text.para(bold(_("Submit an idea")))
    screen.text.para(_("You will be asked for:"))
    screen.text.item(
        _("a title ({minimum} to {maximum} characters)").format(
            minimum=number(inputs.TITLE_MIN), maximum=number(inputs.TITLE_MAX)
        )
    )
    screen.text.item(
        _("a description ({minimum} to {maximum} characters)").format(
            minimum=number(inputs.DESCRIPTION_MIN), maximum=number(inputs.DESCRIPTION_MAX)
        )
    )
    screen.text.item(_("the topic and the city it concerns"))
    screen.text.para(bold(_("Privacy")))
    screen.text.para(
        _(
            "Your idea is published without your name after review. We store that it is yours, so "
            "that you can follow it. Please do not write personal details into it. You can export "
            "or delete your data at any time with /privacy."
        )
    )
    screen.button(_("I agree, let's start"), "agree")
    return _with_cancel(turn, screen)


def _with_cancel(turn: Turn, screen: Screen) -> Screen:
    _ = turn.lang.gettext
    return screen.button(_("Cancel"), "cancel")


def _ask(turn: Turn, question: str) -> Screen:
    screen = Screen()
    screen.text.para(question)
    return _with_cancel(turn, screen)


def title(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    return _ask(
        turn,
        _("Please type a short title for your idea (at most {maximum} characters).").format(
            maximum=turn.lang.number(inputs.TITLE_MAX)
        ),
    )


def description(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    return _ask(
        turn,
        _(
            "Please describe your idea: what should change, and who would benefit? (at most {maximum} characters)"
        ).format(maximum=turn.lang.number(inputs.DESCRIPTION_MAX)),
    )


def topic(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Which topic does your idea belong to?"))
    for item in turn.content.handlungsfelder:
        screen.button(localized(turn, item.title), f"field:{item.id}")
    note = working_title_note(turn, turn.content.handlungsfelder)
    if note:
        screen.text.para(italic(note))
    return _with_cancel(turn, screen)


def city(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Which city does your idea concern?"))
    for item in turn.content.cities:
        screen.button(localized(turn, item.name), f"city:{item.id}")
    if len(turn.content.cities) > 1:
        screen.button(all_cities(turn, turn.lang), f"city:{ALL_CITIES}")
    return _with_cancel(turn, screen)


def similar(turn: Turn) -> Screen:
    """Ideas like the draft, read as they are now: a pending one by its title only, never its author."""
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Similar ideas already exist:")))
    for idea_id in turn.conversation.similar_ideas:
        idea = turn.tx.get_idea(idea_id)
        if idea is not None and idea.status in SUGGESTED:
            _similar_item(turn, screen, idea)
    screen.text.para(_("You can support one of them instead, or go on with your own idea."))
    screen.button(_("My idea is different"), "different")
    return _with_cancel(turn, screen)


def offer(turn: Turn) -> Screen:
    """Typed text at the menu: submit it as an idea? And ideas like it, to support at once."""
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Would you like to submit this as an idea?")))
    screen.text.para(italic(turn.conversation.offered_text or ""))
    shown = [turn.tx.get_idea(idea_id) for idea_id in turn.conversation.similar_ideas]
    ideas = [idea for idea in shown if idea is not None and idea.status in SUGGESTED]
    if ideas:
        screen.text.para(_("These ideas are alike. You can support one of them right away:"))
    for idea in ideas:
        _similar_item(turn, screen, idea)
    screen.button(_("Yes, submit it as an idea"), "offer_yes")
    screen.button(_("No, thank you"), "offer_no")
    return screen


def _similar_item(turn: Turn, screen: Screen, idea: IdeaRecord) -> None:
    """One similar idea: its title, city and state, never its text or author; and its 👍 button."""
    _ = turn.lang.gettext
    if idea.status == IdeaStatus.PENDING:
        state = _("being reviewed")
    else:
        count = idea.support_count
        state = turn.lang.ngettext("{count} supporter", "{count} supporters", count).format(
            count=turn.lang.number(count)
        )
    screen.text.item(bold(idea.title), f" · {city_name(turn, idea.city)} · {state}")
    label = _("👍 Support this one: {title}").format(title=short(idea.title, 32))
    screen.button(label, f"support_instead:{idea.id}")


def discard(turn: Turn) -> Screen:
    """ "Cancel" with words typed: drop them, or keep writing where the resident was."""
    _ = turn.lang.gettext
    draft = turn.conversation.idea_draft or IdeaDraft()
    screen = Screen()
    screen.text.para(bold(_("Discard your draft?")))
    screen.text.para(italic(draft.title or draft.description or ""))
    screen.button(_("Yes, discard it"), "discard")
    screen.button(_("No, keep writing"), "resume")
    return screen


def resumes_at(step: str) -> Condition:
    def matches(turn: Turn, arg: Arg) -> bool:
        return turn.conversation.resume_step == step

    matches.__name__ = f"resumes_at_{step}"
    return matches


def forget_resume(turn: Turn, arg: Arg) -> None:
    turn.conversation.resume_step = None


def preview(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    draft = turn.conversation.idea_draft or IdeaDraft()
    screen = Screen()
    screen.text.para(bold(_("Please check your idea:")))
    screen.text.para(bold(draft.title or ""))
    screen.text.para(draft.description or "")
    screen.text.item(_("Topic: {topic}").format(topic=field_title(turn, draft.field)))
    screen.text.item(_("City: {city}").format(city=city_name(turn, draft.city)))
    note = working_title_note(turn, [turn.content.field(draft.field or "")])
    if note:
        screen.text.para(italic(note))
    screen.button(_("✅ Submit"), "confirm")
    screen.pair((_("Edit title"), "edit:title"), (_("Edit description"), "edit:description"))
    screen.pair((_("Change topic"), "edit:field"), (_("Change city"), "edit:city"))
    return _with_cancel(turn, screen)


PRIVACY_NOTE = 1
"""The version of the privacy note on the consent screen. Residents agree once; raise it when the
note changes, and everyone sees the new one at their next submission."""
OFFER_MIN_WORDS = 2
"""Typed text of fewer words ("Hallo") is not offered as an idea."""

STEPS = {
    "title": "submit_title",
    "description": "submit_description",
    "field": "submit_field",
    "city": "submit_city",
}
"""The parts of a draft and the step that asks for each: the preview's "edit:<part>" leads there."""
RESUMABLE = ("submit_consent", "submit_title", "submit_description", "submit_similar", *STEPS.values())
"""The steps "No, keep writing" leads back to (anything else: the preview)."""

FLOW = Flow(
    name="submit",
    screens={
        "submit_consent": consent,  # limits and privacy notice; agree to start
        "submit_title": title,  # type the title
        "submit_description": description,  # type the description
        "submit_similar": similar,  # ideas like the draft: support one instead, or go on
        "submit_offer": offer,  # text typed at the menu or in a Handlungsfeld: submit it? ideas like it
        "submit_field": topic,  # choose the Handlungsfeld
        "submit_city": city,  # choose the city (or all)
        "submit_preview": preview,  # check, edit or confirm
        "submit_discard": discard,  # "Cancel" after typing: discard the draft, or keep writing
    },
    transitions=[
        {
            "trigger": "submit",
            "source": ["menu", "my_ideas", "field", "ideas"],
            "dest": None,
            "conditions": [may_not_submit],
            "before": [explain_no_submit],
        },
        {
            "trigger": "submit",
            "source": ["menu", "my_ideas", "field", "ideas"],
            "dest": "submit_title",
            "conditions": [agreed_before],
            "before": [start_draft],
        },
        {
            "trigger": "submit",
            "source": ["menu", "my_ideas", "field", "ideas"],
            "dest": "submit_consent",
            "before": [start_draft],
        },
        {
            "trigger": "free_text",
            "source": ["menu", "field"],
            "dest": "submit_offer",
            "conditions": [offer_fits],
            "before": [remember_offer],
        },
        {
            "trigger": "offer_yes",
            "source": "submit_offer",
            "dest": None,
            "conditions": [may_not_submit],
            "before": [explain_no_submit],
        },
        *(
            {
                "trigger": "offer_yes",
                "source": "submit_offer",
                "dest": dest,
                "conditions": [agreed_before, preset],
                "before": [start_offered_draft],
            }
            for preset, dest in ((title_preset_in_offer, "submit_description"), (description_in_offer, "submit_title"))
        ),
        {"trigger": "offer_yes", "source": "submit_offer", "dest": "submit_consent", "before": [start_offered_draft]},
        {
            "trigger": "offer_no",
            "source": "submit_offer",
            "dest": "field",
            "conditions": [offered_in_field],
            "before": [drop_offer],
        },
        {"trigger": "offer_no", "source": "submit_offer", "dest": "menu", "before": [drop_offer]},
        {
            "trigger": "agree",
            "source": "submit_consent",
            "dest": "submit_description",
            "conditions": [title_preset],
            "before": [remember_agreement],
        },
        {"trigger": "agree", "source": "submit_consent", "dest": "submit_title", "before": [remember_agreement]},
        # each step: back to the preview when editing, else on to the next step; or why not
        {
            "trigger": "text",
            "source": "submit_title",
            "dest": "submit_preview",
            "conditions": [valid_title, editing],
            "before": [set_title],
        },
        {
            "trigger": "text",
            "source": "submit_title",
            "dest": "submit_similar",
            "conditions": [valid_title, description_preset, similar_ideas_found],
            "before": [set_title, remember_similar],
        },
        {
            "trigger": "text",
            "source": "submit_title",
            "dest": "submit_city",
            "conditions": [valid_title, description_preset, field_preset],
            "before": [set_title],
        },
        {
            "trigger": "text",
            "source": "submit_title",
            "dest": "submit_field",
            "conditions": [valid_title, description_preset],
            "before": [set_title],
        },
        {
            "trigger": "text",
            "source": "submit_title",
            "dest": "submit_description",
            "conditions": [valid_title],
            "before": [set_title],
        },
        {"trigger": "text", "source": "submit_title", "dest": None, "before": [explain_title]},
        {
            "trigger": "text",
            "source": "submit_description",
            "dest": "submit_preview",
            "conditions": [valid_description, editing],
            "before": [set_description],
        },
        {
            "trigger": "text",
            "source": "submit_description",
            "dest": "submit_similar",
            "conditions": [valid_description, similar_ideas_found],
            "before": [set_description, remember_similar],
        },
        {
            "trigger": "text",
            "source": "submit_description",
            "dest": "submit_city",
            "conditions": [valid_description, field_preset],
            "before": [set_description],
        },
        {
            "trigger": "text",
            "source": "submit_description",
            "dest": "submit_field",
            "conditions": [valid_description],
            "before": [set_description],
        },
        {"trigger": "text", "source": "submit_description", "dest": None, "before": [explain_description]},
        {
            "trigger": "support_instead",
            "source": ["submit_similar", "submit_offer"],
            "dest": "menu",
            "conditions": [offered_and_open],
            "before": [support_instead],
        },
        {
            "trigger": "support_instead",
            "source": ["submit_similar", "submit_offer"],
            "dest": None,
            "before": [say_no_longer_open],
        },
        {
            "trigger": "different",
            "source": "submit_similar",
            "dest": "submit_city",
            "conditions": [field_preset],
            "before": [forget_similar],
        },
        {"trigger": "different", "source": "submit_similar", "dest": "submit_field", "before": [forget_similar]},
        {
            "trigger": "field",
            "source": "submit_field",
            "dest": "submit_preview",
            "conditions": [is_field, editing],
            "before": [set_draft_field],
        },
        {
            "trigger": "field",
            "source": "submit_field",
            "dest": "submit_city",
            "conditions": [is_field],
            "before": [set_draft_field],
        },
        {
            "trigger": "city",
            "source": "submit_city",
            "dest": "submit_preview",
            "conditions": [is_draft_city],
            "before": [set_draft_city],
        },
        {
            "trigger": "confirm",
            "source": "submit_preview",
            "dest": "menu",
            "conditions": [draft_complete],
            "before": [save_idea],
        },
        {"trigger": "discard", "source": "submit_discard", "dest": "menu", "before": [say_cancelled]},
        *(
            {
                "trigger": "resume",
                "source": "submit_discard",
                "dest": step,
                "conditions": [resumes_at(step)],
                "before": [forget_resume],
            }
            for step in RESUMABLE
        ),
        {"trigger": "resume", "source": "submit_discard", "dest": "submit_preview", "before": [forget_resume]},
        *(
            {
                "trigger": "edit",
                "source": "submit_preview",
                "dest": step,
                "conditions": [arg_is(part)],
                "before": [start_editing],
            }
            for part, step in STEPS.items()
        ),
    ],
)
