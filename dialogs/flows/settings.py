"""Settings: language, city and news subscriptions at a glance, each changeable."""

from __future__ import annotations

from dialogs.flow import Flow
from dialogs.flows import news, onboarding
from dialogs.messages import bold
from dialogs.names import city_name
from dialogs.screen import Screen
from dialogs.turn import Turn


def settings(turn: Turn) -> Screen:
    _ = turn.lang.gettext
    screen = Screen()
    screen.text.para(bold(_("Settings")))
    screen.text.item(_("Language: {language}").format(language=turn.lang.name))
    screen.text.item(_("City: {city}").format(city=city_name(turn, turn.resident.city)))
    screen.text.item(_("News: {topics}").format(topics=news.summary(turn)))
    screen.button(_("Change language"), "change_language")
    screen.button(_("Change city"), "city")
    screen.button(_("News subscriptions"), "news")
    screen.button(_("Back"), "back")
    return screen


def language(turn: Turn) -> Screen:
    return _with_back(turn, onboarding.language(turn))


def city(turn: Turn) -> Screen:
    return _with_back(turn, onboarding.city(turn))


def _with_back(turn: Turn, screen: Screen) -> Screen:
    _ = turn.lang.gettext
    return screen.button(_("Back"), "back")


FLOW = Flow(
    name="settings",
    screens={
        "settings": settings,  # language, city and news
        "settings_language": language,  # choose another language, or back
        "settings_city": city,  # choose a new city, or back
    },
    transitions=[
        {"trigger": "settings", "source": "menu", "dest": "settings"},
        {"trigger": "change_language", "source": "settings", "dest": "settings_language"},
        {
            "trigger": "pick_language",
            "source": "settings_language",
            "dest": "settings",
            "conditions": [onboarding.is_language],
            "before": [onboarding.set_language],
        },
        {"trigger": "city", "source": "settings", "dest": "settings_city"},
        {
            "trigger": "pick_city",
            "source": "settings_city",
            "dest": "settings",
            "conditions": [onboarding.is_city],
            "before": [onboarding.set_city],
        },
        {"trigger": "back", "source": "settings", "dest": "menu"},
        {"trigger": "back", "source": ["settings_language", "settings_city"], "dest": "settings"},
    ],
)
