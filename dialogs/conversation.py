"""Where a resident is in the dialogue, beyond the state's name: the typed conversation context.

It is stored as JSON in the conversation row (storage/models.py, column ``context``) under
the key names used here; migration 0011 moved the older one-letter keys to these names.
`Conversation.from_data` reads what the store holds and never fails: a value of the wrong
type is dropped, so a damaged row costs the resident their place, never the event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import field as default_of
from typing import Any


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(slots=True)
class Menu:
    """The buttons on screen: their payloads are ``<generation>.<index>`` (dialogs/payloads.py)."""

    generation: int = 0
    actions: list[str] = field(default_factory=list)
    """What each button does, in the order of the payload index (``field:mobilitaet``)."""
    labels: list[str] = field(default_factory=list)
    """Each button's label, so typing it chooses it."""
    cancels: list[list[int]] = field(default_factory=list)
    """[generation, index] of the "Cancel" buttons of the last few menus: an old prompt's Cancel still works."""


@dataclass(slots=True)
class LastPress:
    """The button whose press made the menu on screen, and when (to ignore a double tap)."""

    payload: str
    at: float


@dataclass(slots=True)
class IdeaDraft:
    """An idea being written (dialogs/flows/submit.py)."""

    title: str | None = None
    description: str | None = None
    field: str | None = None
    city: str | None = None

    @property
    def complete(self) -> bool:
        return bool(self.title and self.description and self.field and self.city)


@dataclass(slots=True)
class BroadcastDraft:
    """A message to subscribers being composed by staff (dialogs/flows/broadcast.py)."""

    text: str | None = None
    audience_chosen: bool = False
    city: str | None = None
    """The audience's city; None for every city."""
    field: str | None = None
    """The audience's Handlungsfeld; None for city news or everyone."""
    idea: int | None = None
    button: str | None = None
    send_at: str | None = None
    """ISO time, UTC, for a planned message; None to send now."""
    translations: dict[str, str] = default_of(default_factory=dict)  # "field" is the audience here
    """The same message in other languages, as staff wrote them: language code → text."""
    translating: str | None = None
    """The language whose text staff are typing now."""


@dataclass(slots=True)
class PollDraft:
    """A quick poll being composed by staff (dialogs/flows/polls.py)."""

    question: str | None = None
    options: list[str] | None = None
    multiple: bool | None = None
    """Several options may be chosen; None until staff chose."""
    audience_chosen: bool = False
    city: str | None = None
    field: str | None = None
    in_menu: bool = False
    """Only for residents who open it under „Aktuelle Umfragen": no message is sent."""
    closes_at: str | None = None
    """ISO time, UTC."""
    show_interim: bool | None = None
    tell_answerers: bool = False
    send_at: str | None = None
    """ISO time, UTC, for a planned poll; None to start now."""
    translations: dict[str, list[str]] = default_of(default_factory=dict)
    """The poll in other languages, as staff wrote them: language code → [question, option 1, option 2, …]."""
    translating: str | None = None
    """The language staff are writing the poll in now."""
    typed: list[str] = default_of(default_factory=list)
    """What staff typed so far in that language: the question, then the options in their order."""


@dataclass(slots=True)
class Conversation:
    menu: Menu = field(default_factory=Menu)
    last_press: LastPress | None = None
    deep_link: str | None = None
    """``idea_42`` or ``field_3`` from /start, kept until the resident is onboarded."""
    tour_step: int = 0
    """Which Leitziel of the tour is shown (0-based)."""
    tour_more: bool = False
    """The tour screen shows its longer text ("Read more")."""
    leitziel_choice: str | None = None
    """The Leitziel the resident named most important in the tour (counted anonymously, storage/leitziel_choice.py)."""
    topic: str | None = None
    """The Handlungsfeld being browsed."""
    page: int = 0
    """The page of the idea list."""
    idea: int | None = None
    """The idea on screen."""
    back_to: str | None = None
    """Where "Back" leads from an idea or the news settings: ``menu``, ``ideas``, ``my_ideas``, ``settings``."""
    idea_draft: IdeaDraft | None = None
    editing_draft: bool = False
    """The draft's preview sent the resident to change one part: the answer leads back to the preview."""
    similar_ideas: list[int] = field(default_factory=list)
    """The ideas offered as similar to the draft: only these can be supported from that screen."""
    editing_idea: str | None = None
    """The part of their pending idea the resident is rewriting: ``title`` or ``description``."""
    resume_step: str | None = None
    """The step of a submission where "Cancel" was pressed: "No, keep writing" leads back there."""
    offered_text: str | None = None
    """Text typed at the main menu or in a Handlungsfeld, offered to become an idea."""
    broadcast_draft: BroadcastDraft | None = None
    privacy_note_seen: int = 0
    """The version of the submission's privacy note the resident agreed to (dialogs/flows/submit.py)."""
    news_due: bool = False
    """The resident supported or submitted an idea for the first time: ask about news next."""
    news_offered: bool = False
    """The first main menu offered news (once, nothing ticked)."""
    poll_draft: PollDraft | None = None
    poll: int | None = None
    """The poll on screen."""

    def leave_flow(self) -> None:
        """Forget a half-finished flow (a draft, a tour position); keep the deep link and the topic."""
        self.idea_draft = None
        self.editing_draft = False
        self.similar_ideas = []
        self.offered_text = None
        self.resume_step = None
        self.editing_idea = None
        self.tour_step = 0
        self.tour_more = False
        self.page = 0
        self.idea = None
        self.back_to = None
        self.broadcast_draft = None
        self.poll_draft = None
        self.poll = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Conversation:
        menu = data.get("menu")
        press = data.get("last_press")
        draft = data.get("idea_draft")
        broadcast = data.get("broadcast_draft")
        poll_draft = data.get("poll_draft")
        return cls(
            menu=_menu(menu) if isinstance(menu, dict) else Menu(),
            last_press=_press(press) if isinstance(press, dict) else None,
            deep_link=_str(data.get("deep_link")),
            tour_step=_int(data.get("tour_step")) or 0,
            tour_more=data.get("tour_more") is True,
            leitziel_choice=_str(data.get("leitziel_choice")),
            topic=_str(data.get("topic")),
            page=_int(data.get("page")) or 0,
            idea=_int(data.get("idea")),
            back_to=_str(data.get("back_to")),
            idea_draft=_idea_draft(draft) if isinstance(draft, dict) else None,
            editing_draft=data.get("editing_draft") is True,
            similar_ideas=_ints(data.get("similar_ideas")),
            offered_text=_str(data.get("offered_text")),
            resume_step=_str(data.get("resume_step")),
            editing_idea=_str(data.get("editing_idea")),
            broadcast_draft=_broadcast_draft(broadcast) if isinstance(broadcast, dict) else None,
            news_offered=data.get("news_offered") is True,
            news_due=data.get("news_due") is True,
            privacy_note_seen=_int(data.get("privacy_note_seen")) or 0,
            poll_draft=_poll_draft(poll_draft) if isinstance(poll_draft, dict) else None,
            poll=_int(data.get("poll")),
        )

    def to_data(self) -> dict[str, Any]:
        """JSON-ready; what is empty or at its default is left out, so a row stays small."""
        data: dict[str, Any] = {}
        if self.menu.actions or self.menu.generation:
            menu = self.menu
            data["menu"] = {"generation": menu.generation, "actions": menu.actions, "labels": menu.labels}
            if menu.cancels:
                data["menu"]["cancels"] = menu.cancels
        if self.last_press is not None:
            data["last_press"] = {"payload": self.last_press.payload, "at": self.last_press.at}
        keys = (
            "deep_link",
            "topic",
            "idea",
            "back_to",
            "offered_text",
            "resume_step",
            "editing_idea",
            "leitziel_choice",
            "poll",
        )
        for key in keys:
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.tour_step:
            data["tour_step"] = self.tour_step
        if self.tour_more:
            data["tour_more"] = True
        if self.page:
            data["page"] = self.page
        if self.idea_draft is not None:
            data["idea_draft"] = _fields(self.idea_draft)
        if self.editing_draft:
            data["editing_draft"] = True
        if self.similar_ideas:
            data["similar_ideas"] = list(self.similar_ideas)
        if self.broadcast_draft is not None:
            data["broadcast_draft"] = _fields(self.broadcast_draft)
        if self.news_offered:
            data["news_offered"] = True
        if self.news_due:
            data["news_due"] = True
        if self.privacy_note_seen:
            data["privacy_note_seen"] = self.privacy_note_seen
        if self.poll_draft is not None:
            data["poll_draft"] = _poll_fields(self.poll_draft)
        return data


def _poll_fields(draft: PollDraft) -> dict[str, Any]:
    """A no to single choice or to interim results is an answer, kept unlike other False values."""
    data = _fields(draft)
    for name in ("multiple", "show_interim"):
        if getattr(draft, name) is False:
            data[name] = False
    return data


def _fields(draft: IdeaDraft | BroadcastDraft | PollDraft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in draft.__slots__ if getattr(draft, name) not in (None, False, {}, [])}


def _ints(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    return [n for n in (_int(item) for item in value) if n is not None]


def _menu(data: dict[str, Any]) -> Menu:
    actions, labels = data.get("actions"), data.get("labels")
    return Menu(
        generation=_int(data.get("generation")) or 0,
        actions=[str(a) for a in actions] if isinstance(actions, list) else [],
        labels=[str(label) for label in labels] if isinstance(labels, list) else [],
        cancels=[pair for pair in (_ints(p) for p in _list(data.get("cancels"))) if len(pair) == 2],
    )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _press(data: dict[str, Any]) -> LastPress | None:
    payload, at = data.get("payload"), data.get("at")
    if not isinstance(payload, str) or not isinstance(at, int | float):
        return None
    return LastPress(payload, float(at))


def _idea_draft(data: dict[str, Any]) -> IdeaDraft:
    return IdeaDraft(*(_str(data.get(name)) for name in ("title", "description", "field", "city")))


def _broadcast_draft(data: dict[str, Any]) -> BroadcastDraft:
    return BroadcastDraft(
        text=_str(data.get("text")),
        audience_chosen=data.get("audience_chosen") is True,
        city=_str(data.get("city")),
        field=_str(data.get("field")),
        idea=_int(data.get("idea")),
        button=_str(data.get("button")),
        send_at=_str(data.get("send_at")),
        translations=_texts(data.get("translations")),
        translating=_str(data.get("translating")),
    )


def _texts(data: object) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    return {str(code): text for code, text in data.items() if isinstance(text, str)}


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _poll_draft(data: dict[str, Any]) -> PollDraft:
    options = data.get("options")
    return PollDraft(
        question=_str(data.get("question")),
        options=[str(o) for o in options] if isinstance(options, list) else None,
        multiple=_bool(data.get("multiple")),
        audience_chosen=data.get("audience_chosen") is True,
        city=_str(data.get("city")),
        field=_str(data.get("field")),
        in_menu=data.get("in_menu") is True,
        closes_at=_str(data.get("closes_at")),
        show_interim=_bool(data.get("show_interim")),
        tell_answerers=data.get("tell_answerers") is True,
        send_at=_str(data.get("send_at")),
        translations=_poll_texts(data.get("translations")),
        translating=_str(data.get("translating")),
        typed=_strs(data.get("typed")) or [],
    )


def _strs(value: object) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return list(value)


def _poll_texts(data: object) -> dict[str, list[str]]:
    if not isinstance(data, dict):
        return {}
    return {str(code): texts for code, value in data.items() if (texts := _strs(value))}
