"""The flows of the dialogue, in the order the engine collects them.

Adding a flow: write its module (see docs/adding-a-flow.md) and list it here.
"""

from __future__ import annotations

from dialogs.flow import Effect, Flow, ScreenOf, Transition
from dialogs.flows import (
    broadcast,
    ideas,
    moderation,
    my_ideas,
    news,
    onboarding,
    polls,
    privacy,
    settings,
    staff,
    submit,
    tour,
)

FLOWS: tuple[Flow, ...] = (
    onboarding.FLOW,
    tour.FLOW,
    ideas.FLOW,
    submit.FLOW,
    my_ideas.FLOW,
    settings.FLOW,
    privacy.FLOW,
    news.FLOW,
    broadcast.FLOW,
    polls.FLOW,
    moderation.FLOW,
    staff.FLOW,
)

STATES: list[str] = [state for flow in FLOWS for state in flow.states]
TRANSITIONS: list[Transition] = [transition for flow in FLOWS for transition in flow.transitions]
SCREENS: dict[str, ScreenOf] = {state: screen for flow in FLOWS for state, screen in flow.screens.items()}
ACTIONS: dict[str, Effect] = {name: handler for flow in FLOWS for name, handler in flow.actions.items()}
"""Privileged button actions by trigger: ``mod`` runs `ACTIONS["mod"]` for ``mod:approve:42``."""
