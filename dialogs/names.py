"""How cities, topics, statuses and platforms are named to a resident, in their language."""

from __future__ import annotations

from collections.abc import Iterable

from dialogs.content import Topic, Vision
from dialogs.i18n import N_, Language
from dialogs.turn import Turn
from storage.models import ALL_CITIES, IdeaStatus, Progress

LABEL_MAX = 48

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
    IdeaStatus.WITHDRAWN: N_("withdrawn"),
}

PLATFORM_NAMES = {
    "telegram": N_("Telegram"),
    "matrix": N_("Matrix"),
    "whatsapp": N_("WhatsApp"),
    "web": N_("Web chat"),
    "console": N_("Console"),
}


def short(text: str, limit: int = LABEL_MAX) -> str:
    """A button label cut to `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def localized(turn: Turn, texts: dict[str, str]) -> str:
    """A text of the content file in the resident's language."""
    return turn.content.text(texts, turn.lang.code)


def city_name(turn: Turn, city_id: str | None) -> str:
    return city_in(turn, turn.lang, city_id or "")


def city_in(turn: Turn, lang: Language, city_id: str) -> str:
    """A city's name in `lang`; for an idea of every city, their names ("Aalen und Heidenheim")."""
    if city_id == ALL_CITIES:
        return all_cities(turn, lang)
    city = turn.content.city(city_id)
    return turn.content.text(city.name, lang.code) if city else city_id


def all_cities(turn: Turn, lang: Language) -> str:
    names = [turn.content.text(city.name, lang.code) for city in turn.content.cities]
    if len(names) == 1:
        return names[0]
    return lang.gettext("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def working_title_note(turn: Turn, topics: Iterable[Topic | None]) -> str | None:
    """One line per screen that names the working titles on it, or None where it shows none."""
    _ = turn.lang.gettext
    marked = [topic for topic in topics if topic is not None and topic.working_title]
    if not marked:
        return None
    if len(marked) == 1:
        return _("“{title}” is a working title: the cities have not given it its final name yet.").format(
            title=localized(turn, marked[0].title)
        )
    return _("These names are working titles: the cities have not given them their final names yet.")


def gloss_lines(turn: Turn, item: Topic | Vision) -> list[str]:
    """Charta and strategy terms of `item` with their one-line explanation, in the resident's language."""
    return [f"{term}: {explanation}" for term, explanation in turn.content.glosses(item, turn.lang.code)]


def field_title(turn: Turn, field_id: str | None) -> str:
    topic = turn.content.field(field_id or "")
    return localized(turn, topic.title) if topic else (field_id or "")


def platform_name(lang: Language, platform: str) -> str:
    """A platform as the offices know it; one without a name here is shown as stored."""
    name = PLATFORM_NAMES.get(platform)
    return lang.gettext(name) if name else platform
