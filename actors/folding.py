"""Length-preserving text folding, so that a match in folded text is a match in the original.

Every character maps to exactly one character: lower case, accents removed,
typographic apostrophes, dashes and spaces made plain. Offsets found in the folded
text are therefore offsets in the original (NFC) text, with no mapping table.
"""

import unicodedata
from functools import lru_cache

APOSTROPHES = "\u2019\u2018\u02bc\u02b9\u0060\u00b4\u2032\uff07"
SPACES = "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u205f\u3000\t\n\r\f\v"
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"


def fold_char(char: str) -> str:
    """Return the one character that ``char`` folds to."""
    if char in APOSTROPHES:
        return "'"
    if char in SPACES:
        return " "
    if char in DASHES:
        return "-"
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if not base:
        return char
    # A ligature or sharp s folds to several letters; keep the first, as aliases do.
    return base[0]


@lru_cache(maxsize=1)
def fold_table() -> dict[int, str]:
    """The translation table for every character below U+3000 that folding changes."""
    table = {}
    for code in range(0x3000):
        char = chr(code)
        folded = fold_char(char)
        if folded != char:
            table[code] = folded
    for code in range(0xFF00, 0xFF5F):  # full-width forms
        table[code] = fold_char(chr(code))
    return table


def fold_text(text: str) -> str:
    """Return ``text`` folded; ``len(fold_text(t)) == len(t)`` for NFC text."""
    return text.translate(fold_table())


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")
