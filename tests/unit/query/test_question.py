"""Input checks and cache-key normalisation of questions."""

from __future__ import annotations

import pytest

from obsai_common.errors import InvalidArgument
from obsai_query.question import clean_question, normalise


def test_whitespace_collapses() -> None:
    assert clean_question("  p95   latency\tof checkout \n") == "p95 latency of checkout"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_is_invalid(text: str) -> None:
    with pytest.raises(InvalidArgument, match="empty"):
        clean_question(text)


def test_too_long_is_invalid_with_the_limit() -> None:
    with pytest.raises(InvalidArgument) as caught:
        clean_question("x" * 1001)
    assert caught.value.details["max_length"] == "1000"


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\u202e", "\x7f"])
def test_control_characters_are_refused(char: str) -> None:
    with pytest.raises(InvalidArgument, match="control"):
        clean_question(f"cpu{char} of auth")


def test_normalise_folds_case_space_and_final_punctuation() -> None:
    assert normalise("What is the CPU  usage?") == normalise("what is the cpu usage")
    assert normalise("cpu of auth") != normalise("cpu of payment")
