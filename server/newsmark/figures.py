"""Read a coded figure's quote into a value, a unit and a qualifier.

A ``figure`` annotation quotes a number as the article gives it ("more than 125
precision munitions", "about 30 minutes", "$2bn"). Researchers compare and sum
figures, so the service fills in what the quote states, which the coder may then
correct. The numbers themselves (number words, magnitudes, thousands separators,
fractions, currencies, percentages, ranges) are read by quantulum3; this module
is the thin layer a news figure needs around it: the hedge, the counted noun,
and the few places where a library made for measurements reads news copy wrong.

How a quote is read (English only):

- ``value`` is the number stated, magnitudes multiplied out: "1.5 million" is
  1500000, "$2bn" 2000000000, "two dozen" 24, "half a dozen" 6; "one" and "a
  single" are 1. "m" and "k" are million and thousand only after a currency
  amount ("£3.5m"): "3.5m people" reads as metres, as "a 5m wall" should.
- ``unit`` is what is counted or measured:
  currencies are ISO 4217 codes ("$" is USD: the copy is American; "¥" is read
  as CNY by the library, a known miss for yen); percentages are ``"percent"``
  ("12%", "12 percent", "12 per cent") but "percentage points" stay
  ``"percentage points"``; a fraction of a whole ("half of the votes",
  "two-thirds", "a third of the population") and a ratio ("one in five
  adults", "3 out of 10") are shares, so ``"percent"`` with the value times
  100; a measurement unit is the unit word as written ("200
  miles" → "miles", "700 km" → "km"); anything else is the counted noun phrase
  after the number, as written ("three US service members" → "US service
  members"), or ``None`` when the quote has none ("2.3 billion").
  The noun phrase is at most four words and ends at punctuation, before a
  function word ("of", "in", "were", "a", …), or right after its first plural
  noun ("85 targets struck" → "targets"), since the counted noun of a figure
  is plural but for one; all-capital words ("US", "NATO") are never taken for
  plurals.
- ``qualifier`` is the hedge before the number ("at least" …) or just after it
  ("100 or more", "30 or so", "100-plus"), ``"range"`` for "between 20 and 30",
  "20 to 30", "20-30" (then ``value`` is the low end and ``value_high`` the high
  end; "1.1 to 1.3 million" shares the scale word), and ``"exact"`` when there
  is no hedge.
- Vague magnitudes ("dozens of civilians", "hundreds of people", "tens of
  thousands", "several hundred") have no number: ``value`` is ``None``, the
  noun is kept, and the qualifier is ``"approx"``, so they can be found and
  counted but never summed by mistake.
- Not figures at all, and read as ``value`` ``None``, ``unit`` ``None``,
  qualifier ``"exact"``: ordinals ("the second strike", "the 3rd Infantry
  Division", "the third attack"), times of day ("8:43 a.m.", "3 p.m."), dates
  ("Feb. 3"), decades ("the 1990s") and years, which are four-digit numbers
  from 1600 to 2100 written without a thousands separator after a word that
  introduces a time or a determiner ("in 2024", "since 2019", "between 2019
  and 2021", "the 2024 election"); a bare "2024" stays a number. News
  copy writes counts of a thousand and more with a separator ("1,500"), so
  "between 1,500 and 2,000 troops" stays a count.
- When the quote holds several figures, the first is read.

quantulum3 is imported on the first call, not with this module: its first use
builds its unit tables (about 0.3 s), and most service processes never parse a
figure. After that a quote takes about 1 ms.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any

QUALIFIERS = ("exact", "at_least", "more_than", "at_most", "less_than", "approx", "range")


@dataclass(frozen=True)
class Figure:
    """What a figure's quote states: a number, what it counts, and how it is hedged.

    ``value`` is ``None`` when the quote holds no number (a vague magnitude such
    as "hundreds of people", or no figure at all such as "the second strike").
    ``value_high`` is the high end of a ``"range"`` and ``None`` otherwise.
    """

    value: float | None
    value_high: float | None
    unit: str | None
    qualifier: str

    def __post_init__(self) -> None:
        # A coder's correction may build a Figure too: refuse what the contract cannot hold.
        if self.qualifier not in QUALIFIERS:
            raise ValueError(f"qualifier must be one of {', '.join(QUALIFIERS)}, not {self.qualifier!r}")
        if self.value_high is not None and self.qualifier != "range":
            raise ValueError("value_high is only for the qualifier 'range'")

    def as_dict(self) -> dict[str, float | str | None]:
        """The four fields as the data contract names them."""
        return {
            "value": self.value,
            "value_high": self.value_high,
            "unit": self.unit,
            "qualifier": self.qualifier,
        }


NO_FIGURE = Figure(value=None, value_high=None, unit=None, qualifier="exact")


def parse_figure(quote: str) -> Figure:
    """Read ``quote`` into a :class:`Figure` (see the module's docstring for the rules).

    Never raises on text: a quote with no figure in it gives ``NO_FIGURE``.
    """
    text = _mask_non_counts(_normalise(quote))
    figure = _first_figure(text)
    if figure is None:
        figure = _vague_figure(text)
    if figure is None:
        # quantulum3 drops a lone "one" (mostly a pronoun in general text); in a
        # coded figure it is the count, so read it as "1" when nothing else was found.
        spelled_one = _ONE.sub(lambda m: " " * (len(m.group(0)) - 1) + "1", text)
        if spelled_one != text:
            figure = _first_figure(spelled_one)
    return figure or NO_FIGURE


# --- the library -----------------------------------------------------------


@functools.cache
def _library() -> Any:
    """quantulum3's parser, imported on first use (see the module's docstring)."""
    with warnings.catch_warnings():
        # It warns that its optional scikit-learn unit classifier is missing; the
        # rule-based reading is the one wanted here (no model, no download).
        warnings.simplefilter("ignore")
        from quantulum3 import parser

    return parser


@functools.cache
def _number_words() -> dict[str, tuple[float, float]]:
    """The library's own number words ("three", "million", "half", "a", "and", …)."""
    from quantulum3 import regex

    return {word: value for word, value in regex.numberwords().items() if word}


@functools.cache
def _fraction_words() -> frozenset[str]:
    """Fraction words in the singular and plural ("half", "thirds", "quarter", …)."""
    from quantulum3 import regex

    words = set(regex.decimals())
    return frozenset(words | {w + "s" for w in words} | {"halves"})


def _quantities(text: str) -> list[Any]:
    """The library's quantities in ``text``, leaving the process's logging as it was.

    quantulum3 calls ``logging.basicConfig`` on every parse, which would give a
    service that configures no logging a root handler it did not ask for.
    """
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        return _library().parse(text)
    except Exception:  # a library bug on odd text must not fail the coder's write
        return []
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)


# --- preparing the text ----------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_CURRENCY = r"(?:US|A|C|NZ|HK)?[$€£¥]"
_BILLION = re.compile(r"(?<=\d)\s?(?:bn|bln)\b", re.IGNORECASE)
_TRILLION = re.compile(r"(?<=\d)\s?(?:tn|trn)\b", re.IGNORECASE)
# "m" and "k" are magnitudes only after a currency amount: "£3.5m"; "a 5m wall" is metres.
_MILLION = re.compile(rf"({_CURRENCY}\s?\d[\d,]*(?:\.\d+)?)\s?(?:m|mn|mln)\b")
_THOUSAND = re.compile(rf"({_CURRENCY}\s?\d[\d,]*(?:\.\d+)?)\s?k\b")
_PER_CENT = re.compile(r"\bper\s+cent\b", re.IGNORECASE)
# The library reads "a $2.5 billion" as "a" (one) times something odd.
_ARTICLE_BEFORE_CURRENCY = re.compile(rf"\b[Aa]n?\s+(?={_CURRENCY}\s?\d)")


def _normalise(quote: str) -> str:
    """Spell the shorthands of news copy the way the library reads them."""
    text = _SPACES.sub(" ", quote).strip()
    text = _BILLION.sub(" billion", text)
    text = _TRILLION.sub(" trillion", text)
    text = _MILLION.sub(r"\1 million", text)
    text = _THOUSAND.sub(r"\1 thousand", text)
    text = _PER_CENT.sub("percent", text)
    return _ARTICLE_BEFORE_CURRENCY.sub("", text)


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_NOT_COUNTS = [
    # Times of day: "8:43 a.m.", "3 p.m.", "10pm", "14:30".
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.\s?m\.?|\s?[ap]m\b)?", re.IGNORECASE),
    re.compile(r"\b\d{1,2}\s?(?:[ap]\.\s?m\.?|[ap]m\b)", re.IGNORECASE),
    # Dates: "Feb. 3", "February 3, 2024", "3 February 2024".
    re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b\.?(?:,?\s+\d{{4}}\b)?"),
    # Decades: "the 1990s", "the '90s".
    re.compile(r"(?<![\d,.])(?:1[6-9]|20)\d0s\b|'\d0s\b"),
    # Years after a word that introduces a time: "in 2024", "between 2019 and 2021".
    re.compile(
        r"\b(?:in|since|by|until|till|before|after|during|of|early|late|mid|through|throughout"
        r"|from|between|and|to|the|a|an|its|this|that|last|next)\s+(?P<year>1[6-9]\d\d|20\d\d|2100)\b(?![,.]\d)",
        re.IGNORECASE,
    ),
]


def _mask_non_counts(text: str) -> str:
    """Blank out times, dates and years (same length, so positions still hold)."""
    for pattern in _NOT_COUNTS:
        text = pattern.sub(_blank, text)
    return text


def _blank(match: re.Match[str]) -> str:
    """The match with its year (or, with no year group, all of it) turned to spaces."""
    whole = match.group(0)
    if "year" not in match.re.groupindex:
        return " " * len(whole)
    start, end = match.span("year")
    offset = match.start()
    return whole[: start - offset] + " " * (end - start) + whole[end - offset :]


_ONE = re.compile(
    r"(?<!\bno )(?<!\bany )(?<!\bthe )(?<!\bthis )(?<!\bthat )(?<!\beach )(?<!\bevery )"
    r"\b(?:[Oo]ne|[Aa] single)\b(?=\s+(?!of\b|another\b|day\b|time\b)[A-Za-z])"
)


# --- reading a quantity ----------------------------------------------------


def _first_figure(text: str) -> Figure | None:
    """The first quantity in ``text`` that is a figure, read into a Figure."""
    quantities = _quantities(text)
    for index, quantity in enumerate(quantities):
        if _is_ordinal(quantity, text) or not math.isfinite(quantity.value):
            continue
        following = quantities[index + 1] if index + 1 < len(quantities) else None
        return _ratio(quantity, following, text) or _figure(quantity, text)
    return None


_RATIO_WORDS = re.compile(r"\s+(?:in|out of)\s+", re.IGNORECASE)
_ONE_IN = re.compile(r"(?:^|\W)(?:one|an?)\s+(?:in|out of)\s+$", re.IGNORECASE)


def _ratio(quantity: Any, following: Any | None, text: str) -> Figure | None:
    """ "one in five adults", "3 out of 10 people": a share, so percent.

    The library drops a lone "one", so "one in five" comes as just 5.
    """
    start, end = quantity.span
    if quantity.unit.name != "dimensionless":
        return None
    one_in = _ONE_IN.search(text[:start])
    if one_in is not None:
        numerator, denominator, hedge_end = 1.0, quantity.value, one_in.start()
    elif (
        following is not None
        and following.unit.name == "dimensionless"
        and _RATIO_WORDS.fullmatch(text[end : following.span[0]])
    ):
        numerator, denominator, hedge_end = quantity.value, following.value, start
    else:
        return None
    if not denominator or numerator > denominator:
        return None
    qualifier = _prefix_hedge(text[:hedge_end]) or "exact"
    share = _tidy(numerator / denominator * 100)
    return Figure(value=share, value_high=None, unit="percent", qualifier=qualifier)


def _word_set(words: str) -> frozenset[str]:
    """A set of words written as one string, one word after another."""
    return frozenset(words.split())


_DETERMINERS = _word_set("the its their his her our this that each every")


_ORDINAL_FRACTIONS = _word_set("third fourth fifth sixth seventh eighth ninth")


def _is_ordinal(quantity: Any, text: str) -> bool:
    """ "the third attack": the library reads "third" as 1/3; after a determiner it is an ordinal."""
    words = quantity.surface.lower().split()
    if not words or words[0] not in _ORDINAL_FRACTIONS:
        return False
    before = text[: quantity.span[0]].split()
    return bool(before) and before[-1].lower() in _DETERMINERS


def _figure(quantity: Any, text: str) -> Figure:
    """Turn one library quantity into a Figure: value(s), unit, qualifier."""
    unit_name = quantity.unit.name
    start, end = quantity.span
    value = float(quantity.value)
    value_high = None
    if quantity.uncertainty is not None:
        value, value_high = _range_ends(quantity)

    number_end = start + _number_length(quantity.surface)
    suffix_hedge, noun_start = _suffix_hedge(text, number_end)
    if suffix_hedge is None:
        suffix_hedge, _ = _suffix_hedge(text, end)

    if quantity.unit.entity.name == "currency":
        unit = quantity.unit.currency_code or unit_name
    elif unit_name == "percentage":
        unit = "percent"
        if re.match(r"\s*points?\b", text[end:], re.IGNORECASE):
            unit = "percentage points"
    elif unit_name in ("dozen", "per dozen"):
        # "two dozen" is 2 dozens; "half a dozen" the library reads as 0.5 "per dozen".
        value, value_high = value * 12, (value_high * 12 if value_high is not None else None)
        unit = _noun_phrase(text, end)
    elif _is_share(quantity):
        value, value_high = value * 100, None
        unit = "percent"
    elif unit_name == "dimensionless":
        unit = _noun_phrase(text, max(noun_start, end))
    elif re.match(r"\.?[A-Za-z]", text[end : end + 2]):
        # The library took the start of a word for a unit symbol ("2,500 U.S. troops": U, atomic mass).
        unit = _noun_phrase(text, number_end)
    else:  # a measurement: the unit as the quote writes it
        unit = text[number_end:end].strip(" -") or unit_name

    qualifier = "range" if value_high is not None else _prefix_hedge(text[:start]) or suffix_hedge or "exact"
    return Figure(value=_tidy(value), value_high=_tidy(value_high), unit=unit or None, qualifier=qualifier)


_RANGE_SEPARATOR = re.compile(r"\s*(?:\bto\b|\band\b|-|–|—)\s*")


def _range_ends(quantity: Any) -> tuple[float, float]:
    """Low and high end of a range the library gives as a middle plus or minus a half width.

    It applies a scale word to the high end only ("1.1 to 1.3 million" comes
    back as 1.1 to 1300000); a bare low end no larger than the high end's
    mantissa shares the scale, as a reader takes it.
    """
    high = quantity.value + quantity.uncertainty
    # The low end carries the rounding error of the high end's magnitude: round it there.
    low = quantity.value - quantity.uncertainty
    if high:
        low = round(low, 11 - math.floor(math.log10(abs(high))))
    parts = _RANGE_SEPARATOR.split(quantity.surface.lower(), maxsplit=1)
    if len(parts) == 2:
        low_scale, high_scale = _scale_words(parts[0]), _scale_words(parts[1])
        if low_scale == 1 and high_scale > 1 and low <= high / high_scale:
            low *= high_scale
    return low, high


def _scale_words(text: str) -> float:
    """The product of the scale words in ``text`` ("thousand", "million", …), 1 if none."""
    factor = 1.0
    for word in re.findall(r"[a-z]+", text):
        if word in ("hundred", "thousand", "million", "billion", "trillion"):
            factor *= _number_words()[word][0]
    return factor


def _is_share(quantity: Any) -> bool:
    """A fraction of a whole ("half", "two-thirds", "a third"), not "one and a half million"."""
    words = re.findall(r"[a-z]+", quantity.surface.lower())
    return (
        quantity.unit.name == "dimensionless"
        and quantity.value <= 1
        and not re.search(r"\d", quantity.surface)
        and (any(w in _fraction_words() for w in words) or not _VULGAR_FRACTIONS.isdisjoint(quantity.surface))
    )


_VULGAR_FRACTIONS = frozenset("½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅐⅛⅜⅝⅞⅑⅒")


_NUMBER_TOKEN = re.compile(r"\s*(\d[\d,.]*|[A-Za-z]+|[-–—$€£¥]|\S)")
_RANGE_WORDS = frozenset({"between", "from", "to", "and", "-", "–", "—", "dozen", "dozens"})


def _number_length(surface: str) -> int:
    """How many characters at the start of the library's surface are the number itself.

    The surface of a measurement runs on into its unit ("15 to 20 years");
    the unit as written is what follows the number.
    """
    length = 0
    for match in _NUMBER_TOKEN.finditer(surface):
        token = match.group(1)
        lower = token.lower()
        if not (token[0].isdigit() or lower in _number_words() or lower in _RANGE_WORDS):
            break
        length = match.end()
    return length


_SUFFIX_HEDGES = re.compile(r"\s*(?:(or more|or so|or fewer|or less)\b|(-?plus)\b|(\+))", re.IGNORECASE)
_SUFFIX_QUALIFIER = {"or more": "at_least", "or so": "approx", "or fewer": "at_most", "or less": "at_most"}


def _suffix_hedge(text: str, position: int) -> tuple[str | None, int]:
    """A hedge right after the number ("100 or more", "30 or so", "100-plus") and where it ends."""
    match = _SUFFIX_HEDGES.match(text, position)
    if match is None:
        return None, position
    words = match.group(1)
    qualifier = _SUFFIX_QUALIFIER[words.lower()] if words else "more_than"
    return qualifier, match.end()


# Longer hedges first where one ends another ("no more than" / "more than").
_PREFIX_HEDGES: list[tuple[str, re.Pattern[str]]] = [
    (qualifier, re.compile(rf"(?:^|[^\w])(?:{alternatives})\s*$", re.IGNORECASE))
    for qualifier, alternatives in [
        ("at_least", r"at least|no fewer than|not fewer than|no less than|not less than|a minimum of"),
        ("at_most", r"up to|no more than|not more than|at most|a maximum of|as many as|as much as"),
        ("less_than", r"fewer than|less than|under|below|just shy of"),
        ("more_than", r"more than|over|upwards of|in excess of|greater than|above|exceeding"),
        (
            "approx",
            r"about|nearly|some|roughly|around|approximately|almost|an estimated|estimated|close to"
            r"|circa|approx\.|~",
        ),
    ]
]


def _prefix_hedge(before: str) -> str | None:
    """The qualifier the words just before the number give, if any."""
    for qualifier, pattern in _PREFIX_HEDGES:
        if pattern.search(before):
            return qualifier
    return None


# --- the counted noun --------------------------------------------------------

_WORD = re.compile(r"[ ]*([A-Za-z](?:\.[A-Za-z])+\.?|[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z])")
_STOP_WORDS = _word_set(
    """
    a an the this that these those its their his her our my your per of in on at to from for with by into
    onto over under across during since after before near inside outside including among between against
    within without through toward towards around about than and or but nor as while who whom which whose
    where when why how is are was were be been being has have had will would could should may might can
    must shall did do does said say says told he she it they we you i also each apiece ago more less so too
    yet still now then already alone only just
    """
)
_IRREGULAR_PLURALS = _word_set(
    "people children men women police personnel staff feet teeth geese mice cattle livestock aircraft"
    " data media clergy sheep deer fish offspring"
)
_MAX_NOUN_WORDS = 4


def _noun_phrase(text: str, position: int) -> str | None:
    """The counted noun phrase starting at ``position`` (see the module's docstring)."""
    words: list[str] = []
    while len(words) < _MAX_NOUN_WORDS:
        match = _WORD.match(text, position)
        if match is None or match.group(1).lower() in _STOP_WORDS:
            break
        words.append(match.group(1))
        position = match.end()
        if _is_plural(match.group(1)):
            break
    return " ".join(words) or None


def _is_plural(word: str) -> bool:
    """Whether ``word`` reads as a plural noun; acronyms ("US", "NATO") never do."""
    if word.isupper():
        return False
    lower = word.lower()
    if lower in _IRREGULAR_PLURALS:
        return True
    return lower.endswith("s") and not lower.endswith(("ss", "us", "is", "'s", "’s"))


_VAGUE = re.compile(
    r"\b(?:(?:tens|hundreds) of (?:thousands|millions)|(?:several|a few) (?:dozen|hundred|thousand|million)"
    r"|dozens|scores|hundreds|thousands|millions|billions)\b(?:\s+of(?:\s+the)?\b)?",
    re.IGNORECASE,
)


def _vague_figure(text: str) -> Figure | None:
    """ "hundreds of people": no number, so value None, the noun kept, qualifier approx."""
    match = _VAGUE.search(text)
    if match is None:
        return None
    return Figure(value=None, value_high=None, unit=_noun_phrase(text, match.end()), qualifier="approx")


def _tidy(value: float | None) -> float | None:
    """Round away the binary noise of the library's arithmetic (0.1 + 0.2), keep 12 digits."""
    if value is None or not math.isfinite(value):
        return value
    return float(f"{value:.12g}")
