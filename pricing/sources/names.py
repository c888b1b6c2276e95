"""Normalising card and set names and collector numbers, for sources that name cards in text
(PriceCharting product names, eBay titles) rather than by an id we store."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LEADING_ZEROS = re.compile(r"^0+(?=\d)")


def normalise_name(value: str) -> str:
    """Lowercase ASCII words separated by single spaces: accents dropped ("Pokémon" ->
    "pokemon"), "&" read as "and", apostrophes removed ("Professor's" -> "professors"), every
    other punctuation mark a word break."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return " ".join(_NON_ALNUM.sub(" ", text).split())


def normalise_number(value: str) -> str:
    """A collector number as printed, compared exactly: lowercase, without the set total
    ("4/102" -> "4") and without leading zeros on its digits ("004" -> "4", "TG05" -> "tg05",
    "SWSH001" stays "swsh001": only a purely numeric number loses its zeros)."""
    number = (value or "").strip().lower().split("/", 1)[0].strip().lstrip("#")
    return _LEADING_ZEROS.sub("", number) if number.isdigit() else number
