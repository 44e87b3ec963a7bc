"""The resident dialogue as a table of states and transitions.

Read it top to bottom: each state with what the resident sees there, then each
transition as trigger, from, to, and the named conditions and effects (in
``dialogs/actions.py``). A button's action ``field:mobilitaet`` fires the trigger
``field`` with the argument ``mobilitaet``; typed text fires ``text``; a command
``/start idea_42`` fires ``start`` with ``idea_42``. Where several rows share a
trigger and a source, the first whose conditions hold wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs import actions as a
from dialogs import broadcast_compose as bc
from dialogs import news as n
from dialogs.turn import Turn

STATES: list[str] = [
    "new",  # first contact: nothing shown yet
    "language",  # choose a language
    "city",  # choose a city
    "menu",  # main menu
    "tour_vision",  # the shared vision
    "tour_leitziel",  # one Leitziel with its Smart City Charta goals (ctx "tour" = which)
    "tour_zielbilder",  # the three Zielbilder, end of the tour
    "fields",  # the Handlungsfelder to choose from
    "field",  # one Handlungsfeld: its text, show ideas, submit here
    "ideas",  # approved ideas of the field for the resident's city, paged by support
    "idea",  # one idea: support or withdraw
    "my_ideas",  # the resident's own ideas with their status
    "submit_consent",  # limits and privacy notice; agree to start
    "submit_title",  # type the title
    "submit_description",  # type the description
    "submit_field",  # choose the Handlungsfeld
    "submit_city",  # choose the city (or all)
    "submit_preview",  # check, edit or confirm
    "settings",  # language and city
    "settings_city",  # choose a new city
    "privacy",  # what is stored; export or delete
    "privacy_delete",  # confirm the deletion
    "news",  # news subscriptions: city news and Handlungsfelder, each ticked or not
    "bc_text",  # staff: type the broadcast's text
    "bc_audience",  # staff: all subscribers, one city's, or those of one topic
    "bc_field",  # staff: which topic's subscribers
    "bc_preview",  # staff: the message as residents will see it, the exact count; send or change
    "bc_idea",  # staff: type the number of the idea a button should open
    "bc_button",  # staff: the button's label
    "bc_when",  # staff: type when to send it
]

GLOBAL_COMMANDS = ("start", "menu", "help", "cancel", "language", "privacy", "stop", "broadcast")
COMMAND_ALIASES = {"sprache": "language"}
"""Other names residents may type for a global command."""
Condition = Callable[[Turn, str | None], bool]

TRANSITIONS: list[dict[str, Any]] = [
    # -- global commands, from any state ----------------------------------------------
    {
        "trigger": "start",
        "source": "*",
        "dest": "idea",
        "conditions": [a.onboarded, a.link_is_idea],
        "prepare": [a.remember_link],
        "before": [a.leave_flow, a.open_link],
    },
    {
        "trigger": "start",
        "source": "*",
        "dest": "field",
        "conditions": [a.onboarded, a.link_is_field],
        "before": [a.leave_flow, a.open_link],
    },
    {"trigger": "start", "source": "*", "dest": "menu", "conditions": [a.onboarded], "before": [a.leave_flow]},
    {"trigger": "start", "source": "*", "dest": "language"},
    {"trigger": "menu", "source": "*", "dest": "menu", "conditions": [a.onboarded], "before": [a.leave_flow]},
    {"trigger": "menu", "source": "*", "dest": "language"},
    {"trigger": "help", "source": "*", "dest": None, "before": [a.show_help]},
    {"trigger": "cancel", "source": "*", "dest": "menu", "conditions": [a.onboarded], "before": [a.say_cancelled]},
    {"trigger": "cancel", "source": "*", "dest": "language", "before": [a.say_cancelled]},
    {"trigger": "language", "source": "*", "dest": "language", "before": [a.leave_flow]},
    {"trigger": "privacy", "source": "*", "dest": "privacy", "before": [a.leave_flow]},
    {"trigger": "stop", "source": "*", "dest": None, "before": [n.stop_news]},
    {
        "trigger": "broadcast",
        "source": "*",
        "dest": "bc_text",
        "conditions": [bc.is_staff],
        "before": [a.leave_flow, bc.start],
    },
    {"trigger": "broadcast", "source": "*", "dest": None, "before": [bc.refuse_command]},
    # a reaction (👍 on Matrix) on an idea's message: support or withdraw, then show the idea
    {
        "trigger": "react_support",
        "source": "*",
        "dest": "idea",
        "conditions": [a.onboarded, a.idea_visible],
        "before": [a.leave_flow, a.open_idea_from_reaction, a.support],
    },
    {
        "trigger": "react_withdraw",
        "source": "*",
        "dest": "idea",
        "conditions": [a.onboarded, a.idea_visible],
        "before": [a.leave_flow, a.open_idea_from_reaction, a.withdraw],
    },
    # -- first contact ------------------------------------------------------------------
    {
        "trigger": "pick_language",
        "source": "language",
        "dest": "menu",
        "conditions": [a.is_language, a.has_city],
        "before": [a.set_language],
    },
    {
        "trigger": "pick_language",
        "source": "language",
        "dest": "city",
        "conditions": [a.is_language],
        "before": [a.set_language],
    },
    {
        "trigger": "pick_city",
        "source": "city",
        "dest": "idea",
        "prepare": [a.set_city],
        "conditions": [a.has_city, a.link_is_idea],
        "before": [a.open_link],
    },
    {
        "trigger": "pick_city",
        "source": "city",
        "dest": "field",
        "conditions": [a.has_city, a.link_is_field],
        "before": [a.open_link],
    },
    {"trigger": "pick_city", "source": "city", "dest": "menu", "conditions": [a.has_city]},
    # -- main menu ----------------------------------------------------------------------
    {"trigger": "tour", "source": "menu", "dest": "tour_vision"},
    {"trigger": "fields", "source": ["menu", "tour_zielbilder"], "dest": "fields"},
    {
        "trigger": "submit",
        "source": ["menu", "my_ideas", "field", "ideas"],
        "dest": None,
        "conditions": [a.may_not_submit],
        "before": [a.explain_no_submit],
    },
    {"trigger": "submit", "source": ["menu", "my_ideas"], "dest": "submit_consent", "before": [a.start_draft]},
    {"trigger": "my_ideas", "source": "menu", "dest": "my_ideas"},
    {"trigger": "news_city", "source": "menu", "dest": "menu", "before": [n.subscribe_city]},
    {"trigger": "news_no", "source": "menu", "dest": "menu", "before": [n.decline_news]},
    {"trigger": "news", "source": ["menu", "settings"], "dest": "news", "before": [n.remember_origin]},
    {"trigger": "settings", "source": "menu", "dest": "settings"},
    # -- the vision tour ---------------------------------------------------------------
    {"trigger": "next", "source": "tour_vision", "dest": "tour_leitziel", "before": [a.start_tour]},
    {
        "trigger": "next",
        "source": "tour_leitziel",
        "dest": "tour_leitziel",
        "conditions": [a.has_next_leitziel],
        "before": [a.next_leitziel],
    },
    {"trigger": "next", "source": "tour_leitziel", "dest": "tour_zielbilder"},
    {"trigger": "skip", "source": ["tour_vision", "tour_leitziel"], "dest": "menu", "before": [a.clear_flow]},
    # -- topics and ideas ----------------------------------------------------------------
    {"trigger": "back", "source": "fields", "dest": "menu"},
    {"trigger": "field", "source": "fields", "dest": "field", "conditions": [a.is_field], "before": [a.set_field]},
    {"trigger": "back", "source": "field", "dest": "fields"},
    {"trigger": "ideas", "source": "field", "dest": "ideas", "before": [a.set_page]},
    {"trigger": "submit", "source": ["field", "ideas"], "dest": "submit_consent", "before": [a.start_draft]},
    {"trigger": "page", "source": "ideas", "dest": "ideas", "conditions": [a.is_page], "before": [a.set_page]},
    {
        "trigger": "open",
        "source": "ideas",
        "dest": "idea",
        "conditions": [a.idea_visible],
        "before": [a.open_idea_from_list],
    },
    {"trigger": "back", "source": "ideas", "dest": "field"},
    {"trigger": "support", "source": "idea", "dest": None, "before": [a.support]},
    {"trigger": "withdraw", "source": "idea", "dest": None, "before": [a.withdraw]},
    {"trigger": "back", "source": "idea", "dest": "my_ideas", "conditions": [a.came_from_my_ideas]},
    {"trigger": "back", "source": "idea", "dest": "ideas", "conditions": [a.field_chosen]},
    {"trigger": "back", "source": "idea", "dest": "menu"},
    {
        "trigger": "open",
        "source": "my_ideas",
        "dest": "idea",
        "conditions": [a.idea_visible],
        "before": [a.open_idea_from_mine],
    },
    {"trigger": "back", "source": "my_ideas", "dest": "menu"},
    # -- submitting an idea ---------------------------------------------------------------
    {"trigger": "agree", "source": "submit_consent", "dest": "submit_title"},
    {
        "trigger": "text",
        "source": "submit_title",
        "dest": "submit_preview",
        "conditions": [a.valid_title, a.editing],
        "before": [a.set_title],
    },
    {
        "trigger": "text",
        "source": "submit_title",
        "dest": "submit_description",
        "conditions": [a.valid_title],
        "before": [a.set_title],
    },
    {"trigger": "text", "source": "submit_title", "dest": None, "before": [a.explain_title]},
    {
        "trigger": "text",
        "source": "submit_description",
        "dest": "submit_preview",
        "conditions": [a.valid_description, a.editing],
        "before": [a.set_description],
    },
    {
        "trigger": "text",
        "source": "submit_description",
        "dest": "submit_city",
        "conditions": [a.valid_description, a.field_preset],
        "before": [a.set_description],
    },
    {
        "trigger": "text",
        "source": "submit_description",
        "dest": "submit_field",
        "conditions": [a.valid_description],
        "before": [a.set_description],
    },
    {"trigger": "text", "source": "submit_description", "dest": None, "before": [a.explain_description]},
    {
        "trigger": "field",
        "source": "submit_field",
        "dest": "submit_preview",
        "conditions": [a.is_field, a.editing],
        "before": [a.set_draft_field],
    },
    {
        "trigger": "field",
        "source": "submit_field",
        "dest": "submit_city",
        "conditions": [a.is_field],
        "before": [a.set_draft_field],
    },
    {
        "trigger": "city",
        "source": "submit_city",
        "dest": "submit_preview",
        "conditions": [a.is_draft_city],
        "before": [a.set_draft_city],
    },
    {
        "trigger": "confirm",
        "source": "submit_preview",
        "dest": "menu",
        "conditions": [a.draft_complete],
        "before": [a.save_idea],
    },
    {
        "trigger": "edit",
        "source": "submit_preview",
        "dest": "submit_title",
        "conditions": [a.arg_is("title")],
        "before": [a.start_editing],
    },
    {
        "trigger": "edit",
        "source": "submit_preview",
        "dest": "submit_description",
        "conditions": [a.arg_is("description")],
        "before": [a.start_editing],
    },
    {
        "trigger": "edit",
        "source": "submit_preview",
        "dest": "submit_field",
        "conditions": [a.arg_is("field")],
        "before": [a.start_editing],
    },
    {
        "trigger": "edit",
        "source": "submit_preview",
        "dest": "submit_city",
        "conditions": [a.arg_is("city")],
        "before": [a.start_editing],
    },
    # -- settings and privacy ---------------------------------------------------------------
    {"trigger": "city", "source": "settings", "dest": "settings_city"},
    {
        "trigger": "pick_city",
        "source": "settings_city",
        "dest": "settings",
        "conditions": [a.is_city],
        "before": [a.set_city],
    },
    {"trigger": "back", "source": "settings", "dest": "menu"},
    {"trigger": "toggle", "source": "news", "dest": "news", "conditions": [n.is_topic], "before": [n.toggle_topic]},
    {"trigger": "back", "source": "news", "dest": "settings", "conditions": [n.came_from_settings]},
    {"trigger": "back", "source": "news", "dest": "menu"},
    {"trigger": "export", "source": "privacy", "dest": None, "before": [a.export_data]},
    {"trigger": "delete", "source": "privacy", "dest": "privacy_delete"},
    {"trigger": "back", "source": "privacy", "dest": "menu", "conditions": [a.onboarded]},
    {"trigger": "back", "source": "privacy", "dest": "language"},
    {"trigger": "confirm_delete", "source": "privacy_delete", "dest": "new", "before": [a.delete_data]},
    {"trigger": "back", "source": "privacy_delete", "dest": "privacy"},
    # -- staff: composing a broadcast (the role is checked at /broadcast and again at send) ----
    {
        "trigger": "text",
        "source": "bc_text",
        "dest": "bc_preview",
        "conditions": [bc.valid_text, bc.has_audience],
        "before": [bc.set_text],
    },
    {
        "trigger": "text",
        "source": "bc_text",
        "dest": "bc_audience",
        "conditions": [bc.valid_text],
        "before": [bc.set_text],
    },
    {"trigger": "text", "source": "bc_text", "dest": None, "before": [bc.explain_text]},
    {"trigger": "audience", "source": "bc_audience", "dest": "bc_field", "conditions": [a.arg_is("field")]},
    {
        "trigger": "audience",
        "source": "bc_audience",
        "dest": "bc_preview",
        "conditions": [bc.audience_choice_allowed],
        "before": [bc.set_audience],
    },
    {
        "trigger": "field",
        "source": "bc_field",
        "dest": "bc_preview",
        "conditions": [a.is_field],
        "before": [bc.set_field_audience],
    },
    {"trigger": "back", "source": "bc_field", "dest": "bc_audience"},
    {"trigger": "edit_text", "source": "bc_preview", "dest": "bc_text"},
    {"trigger": "edit_audience", "source": "bc_preview", "dest": "bc_audience"},
    {"trigger": "add_idea", "source": "bc_preview", "dest": "bc_idea"},
    {
        "trigger": "text",
        "source": "bc_idea",
        "dest": "bc_button",
        "conditions": [bc.is_published_idea],
        "before": [bc.set_idea],
    },
    {"trigger": "text", "source": "bc_idea", "dest": None, "before": [bc.explain_idea]},
    {
        "trigger": "button",
        "source": "bc_button",
        "dest": "bc_preview",
        "conditions": [bc.is_button_kind],
        "before": [bc.set_button],
    },
    {"trigger": "remove_idea", "source": "bc_preview", "dest": "bc_preview", "before": [bc.remove_idea]},
    {"trigger": "when", "source": "bc_preview", "dest": "bc_when"},
    {
        "trigger": "text",
        "source": "bc_when",
        "dest": "bc_preview",
        "conditions": [bc.valid_time],
        "before": [bc.set_time],
    },
    {"trigger": "text", "source": "bc_when", "dest": None, "before": [bc.explain_time]},
    {"trigger": "now", "source": "bc_preview", "dest": "bc_preview", "before": [bc.clear_time]},
    {"trigger": "back", "source": ["bc_idea", "bc_button", "bc_when"], "dest": "bc_preview"},
    {"trigger": "send", "source": "bc_preview", "dest": "menu", "conditions": [bc.may_send], "before": [bc.queue]},
    {"trigger": "send", "source": "bc_preview", "dest": "menu", "before": [bc.refuse_send]},
    {"trigger": "discard", "source": list(bc.STATES), "dest": "menu", "before": [bc.discard]},
]
