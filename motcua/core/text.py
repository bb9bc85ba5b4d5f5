"""Text helpers shared by every app."""

import re
import unicodedata

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def search_key(text: str) -> str:
    """Fold ``text`` for search with or without diacritics and spacing.

    "Phường Pleiku", "phuong pleiku" and "Plei Ku" all contain the key "pleiku".
    """
    folded = unidecode(unicodedata.normalize("NFC", text)).lower()
    return _NON_ALNUM.sub("", folded)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()
