"""Which metric names could match a text by pg_trgm's `word_similarity`, without asking it.

The lexical signal keeps a metric whose name is `word_similarity(name, text) >=
0.6`. PostgreSQL computes that per row, rebuilding the text's trigrams every
time: most of a search's database time on a small catalog, and linear in the
catalog's size. It never exceeds the share of the name's distinct trigrams that
occur anywhere in the text (pg_trgm: shared / (name's + extent's - shared) over
the best extent of the text), so a name below 0.6 by that bound cannot match:
`NameIndex.candidates` lists the names that can, and the database computes the
real similarity for those alone.

Trigrams are made as pg_trgm makes them: words are runs of letters and digits,
lower-cased, padded with two blanks in front and one behind. That is certain for
ASCII only; a text or a name with other characters is left to the database
(a text: no candidates list at all; a name: always a candidate).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# pg_trgm.word_similarity_threshold, as the lexical query spells it (>= 0.6).
THRESHOLD = 0.6

_WORD = re.compile(r"[a-z0-9]+")


def trigrams(text: str) -> frozenset[str] | None:
    """pg_trgm's trigrams of an ASCII text; None for any other text."""
    if not text.isascii():
        return None
    found: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(found)


class NameIndex:
    """The catalog's metric names at one catalog version, by trigram."""

    def __init__(
        self,
        version: int,
        names: Mapping[int, str],
        known: Mapping[str, frozenset[str] | None] | None = None,
    ) -> None:
        """`known`: trigrams of names an earlier index already computed."""
        self.version = version
        self._trigrams: dict[str, frozenset[str] | None] = {}
        self._postings: dict[str, list[int]] = {}
        self._sizes: dict[int, int] = {}
        self._unknown: list[int] = []
        known = known or {}
        for metric_id, name in names.items():
            grams = known[name] if name in known else trigrams(name)
            self._trigrams[name] = grams
            if grams is None:
                self._unknown.append(metric_id)
                continue
            self._sizes[metric_id] = len(grams)
            for gram in grams:
                self._postings.setdefault(gram, []).append(metric_id)

    @property
    def name_trigrams(self) -> Mapping[str, frozenset[str] | None]:
        return self._trigrams

    def candidates(self, text: str) -> list[int] | None:
        """Ids of the metrics whose names may reach the threshold against `text`;
        None when that cannot be told here (the database must look at every name)."""
        grams = trigrams(text)
        if grams is None:
            return None
        shared: dict[int, int] = {}
        for gram in grams:
            for metric_id in self._postings.get(gram, ()):
                shared[metric_id] = shared.get(metric_id, 0) + 1
        # shared / size >= THRESHOLD, with room for float rounding (a superset is safe).
        return sorted(
            [i for i, n in shared.items() if n >= THRESHOLD * self._sizes[i] - 1e-6] + self._unknown
        )


def pg_int_array(ids: Iterable[int]) -> str:
    """PostgreSQL's text form of a bigint[]."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"
