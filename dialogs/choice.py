"""A typed option number, read strictly: where options are shown as a numbered list.

Only ASCII digits count (``"²".isdigit()`` is true, but ``int("²")`` fails), at most
`MAX_DIGITS` of them, so a 5,000-digit number is just text. Residents type numbers in
many shapes; ``2``, ``2.``, `` 2 ``, ``Nr. 2``, ``Nr 2``, ``#2`` and ``2)`` all choose
the second option.
"""

from __future__ import annotations

import re

MAX_DIGITS = 4
_NUMBER = re.compile(
    r"(?:(?:nr|no|nummer|number|option)\s*\.?\s*|\#\s*)?([0-9]{1," + str(MAX_DIGITS) + r"})\s*[.)]?",
    re.IGNORECASE | re.ASCII,
)


def typed_number(text: str) -> int | None:
    """The number in `text` if it is nothing but an option number, else None."""
    match = _NUMBER.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def option_index(text: str, count: int) -> int | None:
    """The 0-based index of the option `text` names among `count` numbered options, if any."""
    number = typed_number(text)
    if number is None or not 1 <= number <= count:
        return None
    return number - 1
