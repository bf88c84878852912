"""Name normalisation shared by every alias table (places, actors, sources, equipment).

This is the deliberately simple, exact-match key: case, diacritics, punctuation, spacing and
Arabic letter variants are folded so that "al-Qasimiyah" and "Al Qasimiyah" share one key.
Transliteration-tolerant matching (Urum/Orm, -iyah/-iya) is the gazetteer matcher's job and
builds on this key.
"""

import re
import unicodedata

_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": None,  # tatweel
    }
)
_ARABIC_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise_name(name: str) -> str:
    """Fold a name to its comparison key: lower case, no diacritics or punctuation."""
    text = unicodedata.normalize("NFKC", name or "").translate(_ARABIC_FOLD)
    text = _ARABIC_DIACRITICS.sub("", text)
    # Strip Latin diacritics (ā → a, ş → s) but keep Arabic letters intact.
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Ayn/hamza marks and apostrophes vanish rather than split words: "Ta'al" → "taal".
    text = re.sub("[\u02bb\u02bc\u02be\u02bf\u2018\u2019`'\u00b4]", "", text)
    text = _NON_WORD.sub(" ", text.casefold()).replace("_", " ")
    return " ".join(text.split())
