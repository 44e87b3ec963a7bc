"""What the resident sees in each state: text and the buttons offered there.

A screen names each button by an action (``field:mobilitaet``); the engine turns
actions into short opaque payloads, so no platform ever sees these names.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from dialogs import inputs
from dialogs.actions import DRAFT
from dialogs.i18n import N_
from dialogs.messages import Block, ReplyBuilder, bold, italic
from dialogs.turn import Turn
from storage import subscriptions
from storage.models import ALL_CITIES, IdeaStatus, Progress
from storage.store import IdeaSummary

PAGE_SIZE = 5
LABEL_MAX = 48

Row = list[tuple[str, str]]


@dataclass
class Screen:
    text: ReplyBuilder = field(default_factory=ReplyBuilder)
    rows: list[Row] = field(default_factory=list)

    def button(self, label: str, action: str) -> Screen:
        self.rows.append([(label, action)])
        return self

    def pair(self, *buttons: tuple[str, str]) -> Screen:
        self.rows.append(list(buttons))
        return self

    @property
    def blocks(self) -> list[Block]:
        return self.text.blocks


PROGRESS_NAMES = {
    Progress.REVIEWED: N_("reviewed"),
    Progress.IN_PROGRESS: N_("being put into practice"),
    Progress.DONE: N_("put into practice"),
    Progress.NOT_FEASIBLE: N_("not feasible"),
}

STATUS_NAMES = {
    IdeaStatus.PENDING: N_("being reviewed"),
    IdeaStatus.APPROVED: N_("published"),
    IdeaStatus.REJECTED: N_("not published"),
    IdeaStatus.HIDDEN: N_("hidden"),
    IdeaStatus.MERGED: N_("merged with a similar idea"),
}


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _t(turn: Turn, localized: dict[str, str]) -> str:
    return turn.content.text(localized, turn.lang.code)


def city_name(turn: Turn, city_id: str | None) -> str:
    _ = turn.lang.gettext
    if city_id == ALL_CITIES:
        return _("all cities")
    city = turn.content.city(city_id or "")
    return _t(turn, city.name) if city else (city_id or "")


def field_title(turn: Turn, field_id: str | None) -> str:
    topic = turn.content.field(field_id or "")
    return _t(turn, topic.title) if topic else (field_id or "")


# -- onboarding -------------------------------------------------------------------------


def language(turn: Turn) -> Screen:
    """Every language, each in its own words; the one the platform suggests comes first."""
    screen = Screen()
    offered = turn.languages.all()
    hinted = turn.languages.match(turn.inbound.language_hint)
    if turn.resident.language is not None:
        hinted = turn.languages.get(turn.resident.language)
    if hinted is not None:
        offered = [hinted, *(lang for lang in offered if lang is not hinted)]
    greetings: list[str] = []
    for lang in offered:
        greeting = lang.gettext("Welcome to the Mitmach-Bot! Please choose your language.")
        if greeting not in greetings:  # Leichte Sprache greets as German does: say it once
            greetings.append(greeting)
            screen.text.para(greeting)
    for lang in offered:
        screen.button(lang.name, f"pick_language:{lang.code}")
    return screen


def city(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Which city do you live in, or which one do you care about most?"))
    screen.text.para(_("You will see the ideas for this city. You can change it at any time in the settings."))
    for item in turn.content.cities:
        screen.button(_t(turn, item.name), f"pick_city:{item.id}")
    return screen


def menu(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_t(turn, turn.content.name)))
    ask_once(turn, screen)
    screen.text.para(_("What would you like to do?"))
    screen.button(_("Discover the vision"), "tour")
    screen.button(_("Ideas by topic"), "fields")
    screen.button(_("Submit an idea"), "submit")
    screen.button(_("My ideas"), "my_ideas")
    screen.pair((_("Settings"), "settings"), (_("Privacy"), "privacy"))
    return screen


# -- the vision tour -------------------------------------------------------------------


def _tour_buttons(turn: Turn, screen: Screen, next_label: str) -> Screen:
    _ = turn.lang.gettext
    return screen.pair((next_label, "next"), (_("Skip the tour"), "skip"))


def tour_vision(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    vision = turn.content.vision
    screen = Screen()
    screen.text.para(bold(_t(turn, vision.title)))
    screen.text.para(_t(turn, vision.short))
    screen.text.para(_t(turn, vision.long))
    return _tour_buttons(turn, screen, _("Next: the goals"))


def tour_leitziel(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    goals = turn.content.leitziele
    index = min(int(turn.ctx.get("tour", 0)), len(goals) - 1)
    goal = goals[index]
    screen = Screen()
    heading = _("Goal {number} of {total}").format(number=index + 1, total=len(goals))
    screen.text.para(italic(heading))
    screen.text.para(bold(_t(turn, goal.title)))
    screen.text.para(_t(turn, goal.long))
    screen.text.para(_("Goals of the Smart City Charter:"))
    for charta in goal.charta:
        screen.text.item(_t(turn, charta))
    label = _("Next goal") if index + 1 < len(goals) else _("Next: the target pictures")
    return _tour_buttons(turn, screen, label)


def tour_zielbilder(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    count = len(turn.content.zielbilder)
    screen.text.para(
        bold(
            turn.lang.ngettext("The shared target picture", "The {count} shared target pictures", count).format(
                count=count
            )
        )
    )
    for picture in turn.content.zielbilder:
        screen.text.item(bold(_t(turn, picture.title)), ": ", _t(turn, picture.short))
    screen.text.para(_("That was the tour. Which topic would you like to contribute ideas to?"))
    screen.button(_("Ideas by topic"), "fields")
    screen.button(_("Main menu"), "menu")
    return screen


# -- topics and ideas ------------------------------------------------------------------


def fields(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Topics")))
    screen.text.para(_("Choose a topic to see its ideas or to add your own."))
    for number, topic in enumerate(turn.content.handlungsfelder, start=1):
        screen.button(f"{number}. {_t(turn, topic.title)}", f"field:{topic.id}")
    screen.button(_("Back"), "back")
    return screen


def field_menu(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    topic = turn.content.field(turn.ctx.get("field", ""))
    screen = Screen()
    if topic is not None:
        screen.text.para(bold(_t(turn, topic.title)))
        screen.text.para(_t(turn, topic.short))
        screen.text.para(_t(turn, topic.long))
        total = turn.tx.count_ideas(topic.id, turn.resident.city or "")
        screen.text.para(
            turn.lang.ngettext(
                "{count} published idea for {city}.", "{count} published ideas for {city}.", total
            ).format(count=turn.lang.number(total), city=city_name(turn, turn.resident.city))
        )
    screen.button(_("Show ideas"), "ideas")
    screen.button(_("Submit an idea on this topic"), "submit:here")
    screen.button(_("Back to the topics"), "back")
    return screen


def _support_label(turn: Turn, idea: IdeaSummary) -> str:
    return f"{_short(idea.title)} (👍 {turn.lang.number(idea.support_count)})"


def ideas(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    field_id = turn.ctx.get("field", "")
    city_id = turn.resident.city or ""
    total = turn.tx.count_ideas(field_id, city_id)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(int(turn.ctx.get("page", 0)), pages - 1)
    turn.ctx["page"] = page
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
            screen.button(_support_label(turn, idea), f"open:{idea.id}")
    paging: Row = []
    if page > 0:
        paging.append((_("◀ Previous"), f"page:{page - 1}"))
    if page + 1 < pages:
        paging.append((_("Next ▶"), f"page:{page + 1}"))
    if paging:
        screen.pair(*paging)
    if total == 0:
        screen.button(_("Submit an idea on this topic"), "submit:here")
    screen.button(_("Back"), "back")
    return screen


def idea(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    idea_id = turn.ctx.get("idea")
    record = turn.tx.get_idea(idea_id) if isinstance(idea_id, int) else None
    screen = Screen()
    if record is None:
        screen.text.para(_("This idea is no longer available."))
        return screen.button(_("Back"), "back")
    screen.text.para(bold(record.title))
    screen.text.para(record.description)
    screen.text.item(_("Topic: {topic}").format(topic=field_title(turn, record.field_id)))
    screen.text.item(_("City: {city}").format(city=city_name(turn, record.city)))
    screen.text.item(_("Status: {status}").format(status=_(STATUS_NAMES[IdeaStatus(record.status)])))
    if record.source:
        screen.text.item(_("Source: {source}").format(source=record.source))
    if record.progress is not None:
        line = _("Progress: {progress}").format(progress=_(PROGRESS_NAMES[Progress(record.progress)]))
        screen.text.item(line + (f" ({record.progress_reason})" if record.progress_reason else ""))
    count = record.support_count
    screen.text.item(
        turn.lang.ngettext("{count} person supports it.", "{count} people support it.", count).format(
            count=turn.lang.number(count)
        )
    )
    if record.status == IdeaStatus.APPROVED:
        if turn.tx.has_vote(turn.resident.id, record.id):
            screen.text.para(italic(_("You support this idea.")))
            screen.button(_("Withdraw my support"), "withdraw")
        else:
            screen.button(_("👍 Support this idea"), "support")
    screen.button(_("Back"), "back")
    return screen


def my_ideas(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    mine = turn.tx.ideas_of_author(turn.resident.id)
    screen = Screen()
    screen.text.para(bold(_("My ideas")))
    if not mine:
        screen.text.para(_("You have not submitted an idea yet."))
        screen.button(_("Submit an idea"), "submit")
    for record in mine[:20]:
        status = _(STATUS_NAMES[IdeaStatus(record.status)])
        screen.text.item(
            _("“{title}”, submitted on {date}: {status}").format(
                title=record.title, date=turn.lang.date(record.created_at), status=status
            )
        )
        screen.button(_short(record.title), f"open:{record.id}")
    screen.button(_("Back"), "back")
    return screen


# -- submitting --------------------------------------------------------------------------


def submit_consent(turn: Turn) -> Screen:
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
    screen.button(_("Cancel"), "cancel")
    return screen


def _ask(turn: Turn, question: str) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(question)
    screen.button(_("Cancel"), "cancel")
    return screen


def submit_title(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    return _ask(
        turn,
        _("Please type a short title for your idea (at most {maximum} characters).").format(
            maximum=turn.lang.number(inputs.TITLE_MAX)
        ),
    )


def submit_description(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    return _ask(
        turn,
        _(
            "Please describe your idea: what should change, and who would benefit? (at most {maximum} characters)"
        ).format(maximum=turn.lang.number(inputs.DESCRIPTION_MAX)),
    )


def submit_field(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Which topic does your idea belong to?"))
    for topic in turn.content.handlungsfelder:
        screen.button(_t(turn, topic.title), f"field:{topic.id}")
    screen.button(_("Cancel"), "cancel")
    return screen


def submit_city(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Which city does your idea concern?"))
    for item in turn.content.cities:
        screen.button(_t(turn, item.name), f"city:{item.id}")
    if len(turn.content.cities) > 1:
        screen.button(_("All cities"), f"city:{ALL_CITIES}")
    screen.button(_("Cancel"), "cancel")
    return screen


def submit_preview(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    draft = turn.ctx.get(DRAFT, {})
    screen = Screen()
    screen.text.para(bold(_("Please check your idea:")))
    screen.text.para(bold(draft.get("title", "")))
    screen.text.para(draft.get("description", ""))
    screen.text.item(_("Topic: {topic}").format(topic=field_title(turn, draft.get("field"))))
    screen.text.item(_("City: {city}").format(city=city_name(turn, draft.get("city"))))
    screen.button(_("✅ Submit"), "confirm")
    screen.pair((_("Edit title"), "edit:title"), (_("Edit description"), "edit:description"))
    screen.pair((_("Change topic"), "edit:field"), (_("Change city"), "edit:city"))
    screen.button(_("Cancel"), "cancel")
    return screen


ASKED = "news_asked"
"""Context key: the first main menu asked about news (once, nothing ticked)."""


def topic_ok(turn: Turn, topic: str | None) -> bool:
    if topic == subscriptions.CITY:
        return True
    return bool(topic and topic.startswith("field:") and turn.content.field(topic[6:]) is not None)


# -- news subscriptions ---------------------------------------------------------------------


def summary(turn: Turn) -> str:
    """The resident's subscriptions in one line, e.g. "Aalen, Mobilität"."""
    _ = turn.lang.gettext
    names = [
        _label(turn, topic) for topic in subscriptions.topics_of(turn.tx, turn.resident.id) if topic_ok(turn, topic)
    ]
    return ", ".join(names) if names else _("none")


def _label(turn: Turn, topic: str) -> str:
    _ = turn.lang.gettext
    if topic == subscriptions.CITY:
        return _("News from {city}").format(city=city_name(turn, turn.resident.city))
    return field_title(turn, topic[6:])


def ask_once(turn: Turn, screen: Screen) -> None:
    """On the first main menu: offer news, nothing ticked, and never ask again."""
    if turn.ctx.get(ASKED):
        return
    turn.ctx[ASKED] = True
    _ = turn.lang.gettext
    screen.text.para(
        _("Would you like news, for example when an idea becomes a project? Nothing is subscribed unless you choose.")
    )
    city = city_name(turn, turn.resident.city)
    screen.button(_("Yes, news from {city}").format(city=city), "news_city")
    screen.pair((_("Choose topics"), "news"), (_("No, thank you"), "news_no"))


def news(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("News")))
    screen.text.para(_("Choose what we may tell you about. Press again to end a subscription."))
    screen.text.para(_("You receive: {topics}").format(topics=summary(turn)))
    subscribed = set(subscriptions.topics_of(turn.tx, turn.resident.id))
    topics = [subscriptions.CITY] + [subscriptions.field_topic(topic.id) for topic in turn.content.handlungsfelder]
    for topic in topics:
        mark = "☑" if topic in subscribed else "☐"
        screen.button(f"{mark} {_label(turn, topic)}", f"toggle:{topic}")
    screen.text.para(_("Send /stop to end all subscriptions at once."))
    screen.button(_("Done"), "back")
    return screen


# -- settings and privacy ----------------------------------------------------------------


def settings(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Settings")))
    screen.text.item(_("Language: {language}").format(language=turn.lang.name))
    screen.text.item(_("City: {city}").format(city=city_name(turn, turn.resident.city)))
    screen.text.item(_("News: {topics}").format(topics=summary(turn)))
    screen.button(_("Change language"), "language")
    screen.button(_("Change city"), "city")
    screen.button(_("News subscriptions"), "news")
    screen.button(_("Back"), "back")
    return screen


def settings_city(turn: Turn) -> Screen:
    return city(turn)


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


def privacy_delete(turn: Turn) -> Screen:
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


def deleted_reply(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(_("Your data has been deleted. Thank you for taking part!"))
    screen.text.para(_("If you want to start again, send /start."))
    return screen


SCREENS: dict[str, Callable[[Turn], Screen]] = {
    "new": language,
    "language": language,
    "city": city,
    "menu": menu,
    "tour_vision": tour_vision,
    "tour_leitziel": tour_leitziel,
    "tour_zielbilder": tour_zielbilder,
    "fields": fields,
    "field": field_menu,
    "ideas": ideas,
    "idea": idea,
    "my_ideas": my_ideas,
    "submit_consent": submit_consent,
    "submit_title": submit_title,
    "submit_description": submit_description,
    "submit_field": submit_field,
    "submit_city": submit_city,
    "submit_preview": submit_preview,
    "settings": settings,
    "settings_city": settings_city,
    "news": news,
    "privacy": privacy,
    "privacy_delete": privacy_delete,
}
