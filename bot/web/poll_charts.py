"""The dashboard's poll results: per poll an SVG chart overall, per city and per platform.

Only counts are shown, never who answered; the charts are measured by bot/web/charts.py and
written by the template ``dashboard_polls.html``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.web.charts import Chart, horizontal_bars
from dialogs.engine import Engine
from dialogs.flows.broadcast import ZONE
from dialogs.i18n import Language
from dialogs.names import platform_name
from storage import polls
from storage.store import Tx

SHOWN = 10


@dataclass(frozen=True)
class PollSection:
    anchor: str
    heading: str
    question: str
    charts: list[Chart]


def poll_sections(engine: Engine, lang: Language) -> list[PollSection]:
    """The most recent polls (open ones first), each with its three charts."""
    return engine.store.read(lambda tx: _sections(tx, engine, lang))


def _sections(tx: Tx, engine: Engine, lang: Language) -> list[PollSection]:
    _ = lang.gettext
    cities = [(city.id, engine.content.text(city.name, lang.code)) for city in engine.content.cities]
    sections = []
    for poll in polls.recent(tx, SHOWN):
        if poll.is_open:
            status = _("open until {time}").format(time=lang.datetime(poll.closes_at, ZONE))
        else:
            status = _("closed {time}").format(time=lang.datetime(poll.closed_at or poll.closes_at, ZONE))
        heading = _("Poll no. {number} – {status}").format(number=poll.id, status=status)
        platforms = sorted({platform for _option, _city, platform, _count in polls.cells(tx, poll.id)})
        overall = _("Answers: {count}").format(count=lang.number(polls.totals(tx, poll).respondents))
        by_city = [(name, polls.totals(tx, poll, city=city_id).counts) for city_id, name in cities]
        by_platform = [(platform_name(lang, p), polls.totals(tx, poll, platform=p).counts) for p in platforms]
        charts = [
            horizontal_bars(overall, poll.options, [(overall, polls.totals(tx, poll).counts)]),
            horizontal_bars(_("City"), poll.options, by_city),
            horizontal_bars(_("Platform"), poll.options, by_platform or [(_("Platform"), [0] * len(poll.options))]),
        ]
        sections.append(PollSection(f"poll-{poll.id}", heading, poll.question, charts))
    return sections
