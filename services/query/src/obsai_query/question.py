"""The user's question: checked as input, and normalised for cache keys.

The text is data, never instructions: it is only ever matched against the
catalog and quoted to the model inside a delimited block. Nothing in it can pick
a tenant, skip validation or run PromQL it contains.
"""

from __future__ import annotations

import re
import unicodedata

from obsai_common.errors import InvalidArgument

_SPACE = re.compile(r"\s+")
_TRAILING_PUNCTUATION = re.compile(r"[\s?.!]+$")


def clean_question(text: str, max_length: int = 1000) -> str:
    """The question as it will be used, or InvalidArgument with the reason.

    Control characters are refused (they have no place in a question and are a
    classic way to smuggle text past a reader); runs of whitespace collapse.
    """
    text = unicodedata.normalize("NFC", text)
    if len(text) > max_length:
        raise InvalidArgument(
            f"the question is {len(text)} characters; the limit is {max_length}",
            details={"field": "query", "max_length": str(max_length)},
        )
    for char in text:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs"):
            raise InvalidArgument(
                "the question contains control characters",
                details={"field": "query", "character": f"U+{ord(char):04X}"},
            )
    text = _SPACE.sub(" ", text).strip()
    if not text:
        raise InvalidArgument("the question is empty", details={"field": "query"})
    return text


def normalise(question: str) -> str:
    """The question as a cache key sees it: case, spacing and end punctuation folded."""
    folded = _SPACE.sub(" ", question.casefold()).strip()
    return _TRAILING_PUNCTUATION.sub("", folded)
