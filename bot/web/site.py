"""What a German town's web service shows on every page: its legal links, logo and colours.

BITV 2.0 asks for an accessibility statement with a way to report barriers; the TMG/DDG
and the GDPR for an imprint and a privacy notice. The links come from the settings
(SITE_*), the logo and colours from the content file (checked for contrast when it is
loaded, see dialogs/content.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from dialogs.content import LOGO_TYPES, Content
from dialogs.i18n import Languages

EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")


@dataclass(frozen=True)
class SiteLinks:
    """SITE_IMPRINT_URL, SITE_PRIVACY_URL, SITE_ACCESSIBILITY_URL and SITE_FEEDBACK_EMAIL."""

    imprint: str | None = None
    privacy: str | None = None
    accessibility: str | None = None
    feedback_email: str | None = None


@dataclass(frozen=True)
class FooterLink:
    key: str
    """The key of its text among the page's texts (`ui_strings`), so that the page can translate it."""
    label: str
    href: str
    shown: str | None = None
    """A visible address after the label (the feedback e-mail)."""


def check_url(value: str | None) -> str | None:
    """An absolute http(s) address, or ValueError saying what was expected."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc or any(c in value for c in "<>\"' "):
        raise ValueError(
            f"expected an address starting with https://, e.g. https://www.example.de/impressum (got {value!r})"
        )
    return value.strip()


def check_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not EMAIL.fullmatch(value.strip()):
        raise ValueError(f"expected an e-mail address, e.g. barrierefreiheit@example.de (got {value!r})")
    return value.strip()


def footer_labels(_: Callable[[str], str]) -> dict[str, str]:
    """The footer's texts, also among the page's texts so that they follow a change of language."""
    return {
        "imprint": _("Imprint"),
        "privacy": _("Privacy"),
        "accessibility": _("Accessibility statement"),
        "feedback": _("Report a barrier:"),
    }


def footer_links(links: SiteLinks, languages: Languages, tag: str) -> list[FooterLink]:
    """The footer in the page's language; `tag` is the page's ``lang`` (``de-x-ls`` for Leichte Sprache)."""
    code = next((code for code in languages.codes if languages.get(code).tag == tag), tag)
    labels = footer_labels(languages.get(code).gettext)
    found = [
        FooterLink(key, labels[key], href)
        for key, href in (
            ("imprint", links.imprint),
            ("privacy", links.privacy),
            ("accessibility", links.accessibility),
        )
        if href
    ]
    if links.feedback_email:
        found.append(FooterLink("feedback", labels["feedback"], f"mailto:{links.feedback_email}", links.feedback_email))
    return found


def colours_css(content: Content) -> str | None:
    """The town's colours as a stylesheet (the CSP allows no inline style); None without any."""
    colours = content.site.colours
    rules = []
    if colours.accent:
        rules.append(f"@media (prefers-color-scheme: light) {{ :root {{ --accent: {colours.accent}; }} }}")
    if colours.accent_dark:
        rules.append(f"@media (prefers-color-scheme: dark) {{ :root {{ --accent: {colours.accent_dark}; }} }}")
    return "\n".join(rules) + "\n" if rules else None


def setup(
    app: web.Application, templates: jinja2.Environment, content: Content, languages: Languages, links: SiteLinks
) -> None:
    """Routes for the logo and the colours, and what the templates need for the footer."""
    css = colours_css(content)
    templates.globals["site_css"] = css is not None
    templates.globals["site_footer"] = lambda code: footer_links(links, languages, code)
    if css is not None:

        async def stylesheet(request: web.Request) -> web.Response:
            response = web.Response(text=css, content_type="text/css", charset="utf-8")
            response.headers["Cache-Control"] = "max-age=3600"
            return response

        app.router.add_get("/site.css", stylesheet)
    if content.site.logo:
        logo = Path(content.site.logo)
        kind = LOGO_TYPES[logo.suffix.lower()]

        async def image(request: web.Request) -> web.FileResponse:
            return web.FileResponse(logo, headers={"Content-Type": kind, "Cache-Control": "max-age=3600"})

        app.router.add_get("/logo", image)
