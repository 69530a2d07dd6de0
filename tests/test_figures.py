"""Reading a figure's quote into value, unit and qualifier, against hand-written news phrases."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsmark.figures import NO_FIGURE, QUALIFIERS, Figure, parse_figure

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "tests" / "vectors" / "figures.json").read_text(encoding="utf-8"))["vectors"]
FIELDS = ("value", "value_high", "unit", "qualifier")
# The bar: at least 90 % of the vectors parse right in all four fields.
REQUIRED_SHARE = 0.90


def same_figure(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    """All four fields equal; numbers to a relative 1e-5 (fractions are written to 4 decimals)."""
    for field in ("value", "value_high"):
        a, b = got[field], expected[field]
        if (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=1e-5)):
            return False
    return got["unit"] == expected["unit"] and got["qualifier"] == expected["qualifier"]


def test_vectors_are_well_formed():
    assert len(VECTORS) >= 60
    quotes = [v["quote"] for v in VECTORS]
    assert len(set(quotes)) == len(quotes)
    for vector in VECTORS:
        expected = vector["expected"]
        assert tuple(expected) == FIELDS, vector["quote"]
        Figure(**expected)  # every expectation is a Figure the contract can hold


def test_vectors_parse_right_at_least_90_percent(capsys):
    misses = []
    held_out = held_out_right = 0
    for vector in VECTORS:
        got = parse_figure(vector["quote"]).as_dict()
        right = same_figure(got, vector["expected"])
        if not right:
            misses.append(f"{vector['quote']!r}: got {got}, expected {vector['expected']}")
        if vector.get("held_out"):
            held_out += 1
            held_out_right += right
    right = len(VECTORS) - len(misses)
    report = "\n".join(
        [
            f"figures parsed right: {right}/{len(VECTORS)} ({right / len(VECTORS):.1%})",
            f"held-out vectors: {held_out_right}/{held_out}",
            *(f"miss: {m}" for m in misses),
        ]
    )
    (ROOT / "test-output").mkdir(exist_ok=True)
    (ROOT / "test-output" / "figures-vectors.txt").write_text(report + "\n", encoding="utf-8")
    with capsys.disabled():
        print("\n" + report)
    assert right / len(VECTORS) >= REQUIRED_SHARE, report


@pytest.mark.parametrize(
    ("quote", "qualifier", "value"),
    [
        ("85 targets", "exact", 85),
        ("three US service members", "exact", 3),
        ("at least 16 people", "at_least", 16),
        ("no fewer than 12 soldiers", "at_least", 12),
        ("100 or more people", "at_least", 100),
        ("more than 125 precision munitions", "more_than", 125),
        ("over 300 rockets", "more_than", 300),
        ("100-plus rockets", "more_than", 100),
        ("up to 10,000 troops", "at_most", 10000),
        ("no more than 50 people", "at_most", 50),
        ("fewer than 100 civilians", "less_than", 100),
        ("under 5 percent", "less_than", 5),
        ("less than 1%", "less_than", 1),
        ("about 30 minutes", "approx", 30),
        ("nearly 40%", "approx", 40),
        ("some 200 miles", "approx", 200),
        ("roughly 1,200 homes", "approx", 1200),
        ("around 2,000 protesters", "approx", 2000),
        ("approximately 4,500 tons", "approx", 4500),
        ("almost 90 minutes", "approx", 90),
        ("30 or so vehicles", "approx", 30),
    ],
)
def test_each_hedge_gives_its_qualifier(quote, qualifier, value):
    figure = parse_figure(quote)
    assert figure.qualifier == qualifier
    assert figure.value == value
    assert figure.value_high is None


@pytest.mark.parametrize(
    ("quote", "low", "high"),
    [
        ("between 20 and 30 troops", 20, 30),
        ("20 to 30 troops", 20, 30),
        ("20-30 troops", 20, 30),
        ("20–30 troops", 20, 30),
        ("from 15 to 20 troops", 15, 20),
        ("1.1 to 1.3 million troops", 1_100_000, 1_300_000),
    ],
)
def test_a_range_gives_both_ends(quote, low, high):
    assert parse_figure(quote) == Figure(value=low, value_high=high, unit="troops", qualifier="range")


@pytest.mark.parametrize(
    ("quote", "value", "unit"),
    [
        ("$2bn", 2e9, "USD"),
        ("$1.2 trillion", 1.2e12, "USD"),
        ("€40 million", 4e7, "EUR"),
        ("£3.5m", 3.5e6, "GBP"),
        ("12%", 12, "percent"),
        ("12 per cent", 12, "percent"),
        ("two-thirds", 66.6666666667, "percent"),
        ("1.5 million people", 1.5e6, "people"),
        ("two dozen rockets", 24, "rockets"),
        ("some 1,500 US troops", 1500, "US troops"),
        ("700 km", 700, "km"),
    ],
)
def test_magnitudes_currencies_and_units(quote, value, unit):
    figure = parse_figure(quote)
    assert (figure.value, figure.unit) == (pytest.approx(value), unit)


@pytest.mark.parametrize(
    "quote",
    [
        "the second strike",
        "the 3rd Infantry Division",
        "the third attack",
        "in 2024",
        "since 2019",
        "at 8:43 a.m.",
        "at 3 p.m.",
        "Feb. 3",
        "the 1990s",
        "on Tuesday",
        "",
        "   ",
        "—",
        "no one was hurt",
    ],
)
def test_ordinals_dates_times_and_words_are_not_figures(quote):
    assert parse_figure(quote) == NO_FIGURE


def test_vague_magnitudes_keep_the_noun_but_no_number():
    assert parse_figure("hundreds of people") == Figure(None, None, "people", "approx")
    assert parse_figure("tens of thousands of protesters") == Figure(None, None, "protesters", "approx")


def test_the_noun_phrase_ends_at_a_function_word_or_its_first_plural():
    assert parse_figure("16 people were killed").unit == "people"
    assert parse_figure("85 targets struck overnight").unit == "targets"
    assert parse_figure("up to 4 inches of rain").unit == "inches"
    assert parse_figure("at least 1,200 people, including 100 children").unit == "people"


def test_figure_is_a_frozen_record_with_the_contracts_fields():
    figure = Figure(value=125.0, value_high=None, unit="precision munitions", qualifier="more_than")
    assert figure.as_dict() == {
        "value": 125.0,
        "value_high": None,
        "unit": "precision munitions",
        "qualifier": "more_than",
    }
    assert list(figure.as_dict()) == list(FIELDS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        figure.value = 126.0  # type: ignore[misc]
    assert QUALIFIERS == ("exact", "at_least", "more_than", "at_most", "less_than", "approx", "range")


def test_figure_refuses_what_the_contract_cannot_hold():
    with pytest.raises(ValueError, match="qualifier"):
        Figure(value=1.0, value_high=None, unit=None, qualifier="roughly")
    with pytest.raises(ValueError, match="value_high"):
        Figure(value=1.0, value_high=2.0, unit=None, qualifier="exact")
    assert Figure(value=1.0, value_high=2.0, unit=None, qualifier="range").value_high == 2.0


def test_parsing_leaves_the_process_logging_alone():
    root = logging.getLogger()
    before = list(root.handlers)
    parse_figure("at least 16 people")
    assert root.handlers == before


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.from_regex(r"[a-z $%,.\-0-9]{0,40}"))
def test_any_text_gives_a_figure_the_contract_can_hold(quote):
    figure = parse_figure(quote)
    assert figure.qualifier in QUALIFIERS
    for number in (figure.value, figure.value_high):
        assert number is None or math.isfinite(number)
    assert figure.value_high is None or figure.qualifier == "range"
    json.dumps(figure.as_dict(), allow_nan=False)
