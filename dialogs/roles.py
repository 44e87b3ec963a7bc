"""The one role policy: who holds which role, and the refusal everyone else gets.

Roles come from the grants in the store and, for the first admins, from ``BOT_ADMINS``
(the engine's `admins`); this is the only place the two are merged. Every privileged
command, button and page asks here, when it is carried out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from dialogs.messages import Identity
from dialogs.screen import Screen, lines
from dialogs.turn import Turn
from storage import moderation as db
from storage.models import ALL_CITIES, Role
from storage.store import Tx

MODERATING = frozenset({Role.MODERATOR, Role.ADMIN})
STAFF = frozenset({Role.STAFF, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})
ANY_ROLE = frozenset(Role)


def grants(tx: Tx, admins: Collection[Identity], identity: Identity) -> list[db.Grant]:
    """Everything `identity` was granted; an admin from ``BOT_ADMINS`` holds ADMIN for all cities."""
    found = db.roles_of(tx, identity.platform, identity.user_id)
    if identity in admins:
        found.insert(0, db.Grant(Role.ADMIN, ALL_CITIES))
    return found


def grants_of(turn: Turn) -> list[db.Grant]:
    """The grants of whoever sent the event."""
    return grants(turn.tx, turn.admins, turn.inbound.identity)


def held(found: Iterable[db.Grant]) -> set[Role]:
    return {grant.role for grant in found}


def has_any(found: Iterable[db.Grant], roles: Collection[Role]) -> bool:
    return any(grant.role in roles for grant in found)


def is_staff(found: Iterable[db.Grant]) -> bool:
    return has_any(found, STAFF)


def is_admin(found: Iterable[db.Grant]) -> bool:
    return has_any(found, ADMIN)


def may_act_on(found: Iterable[db.Grant], city: str, role: Role = Role.MODERATOR) -> bool:
    """Admins everywhere; holders of `role` for the city, for all cities, or on something for all cities."""
    for grant in found:
        if grant.role is Role.ADMIN:
            return True
        if grant.role is role and (grant.city in (ALL_CITIES, city) or city == ALL_CITIES):
            return True
    return False


def holders(tx: Tx, admins: Collection[Identity], platform: str) -> list[tuple[db.Contact, set[Role]]]:
    """Everyone on `platform` with a role (the admins of ``BOT_ADMINS`` too), with their chat."""
    found: dict[str, tuple[db.Contact, set[Role]]] = {}
    for contact, role in db.role_holders(tx, platform):
        found.setdefault(contact.user_id, (contact, set()))[1].add(role)
    for admin in admins:
        if admin.platform != platform:
            continue
        reached = db.contact_of(tx, platform, admin.user_id)
        if reached is not None:
            found.setdefault(reached.user_id, (reached, set()))[1].add(Role.ADMIN)
    return list(found.values())


def done_screen(turn: Turn, screen: Screen) -> Screen:
    """A privileged command's answer, with the way back to the menu."""
    _ = turn.lang.gettext
    return screen.button(_("Main menu"), "menu")


def refuse(turn: Turn, action: str, obj: str) -> Screen:
    """The same refusal for everyone without the role, written to the audit log."""
    db.audit(turn.tx, str(turn.inbound.identity), action, obj, "refused", turn.now)
    _ = turn.lang.gettext
    return done_screen(turn, lines(_("Sorry, you are not allowed to do that.")))
