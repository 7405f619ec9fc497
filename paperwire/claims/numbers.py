"""Finds numeric mentions in abstract text, with their unit, as written (LaTeX residue included).

A mention is a number or a range of two, an optional magnitude (K, M, billion...), and an optional unit:
percent or points, a factor (x, times, fold, orders of magnitude), or an absolute unit (ms, GB, FPS...).
Spelled-out factors ("four times", "two orders of magnitude", "twice") are mentions too; spelled-out
counts ("three benchmarks") are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAGNITUDES = {
    "k": 1e3,
    "K": 1e3,
    "thousand": 1e3,
    "M": 1e6,
    "million": 1e6,
    "B": 1e9,
    "billion": 1e9,
    "T": 1e12,
    "trillion": 1e12,
}
WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
    "thousand": 1000,
}

# Absolute units, longest first so "ms" is not read as "m" + "s"; the value is the unit_text kept.
ABSOLUTE_UNITS = [
    "frames per second",
    "tokens per second",
    "tokens/s",
    "tok/s",
    "samples/s",
    "images/s",
    "img/s",
    "it/s",
    "s/sample",
    "GB/s",
    "MB/s",
    "TB/s",
    "Gbps",
    "Mbps",
    "s/image",
    "ms/token",
    "ms/image",
    "GPU hours",
    "GPU-hours",
    "GPU days",
    "microseconds",
    "milliseconds",
    "seconds",
    "second",
    "minutes",
    "minute",
    "hours",
    "hour",
    "days",
    "weeks",
    "TFLOP/s",
    "TFLOPS",
    "PFLOPS",
    "TFLOPs",
    "GFLOPs",
    "GFLOPS",
    "PFLOPs",
    "FLOPs",
    "GMACs",
    "MACs",
    "dollars",
    "degrees",
    "kWh",
    "MWh",
    "Wh",
    "mW",
    "kW",
    "mJ",
    "kJ",
    "GiB",
    "MiB",
    "GB",
    "MB",
    "KB",
    "kB",
    "TB",
    "FPS",
    "fps",
    "Hz",
    "kHz",
    "MHz",
    "GHz",
    "USD",
    "bpp",
    "dB",
    "px",
    "mm",
    "cm",
    "km",
    "ms",
    "µs",
    "μs",
    "us",
    "ns",
    "min",
    "hrs",
    "h",
    "s",
    "W",
    "J",
    "°",
    "m",
]
UNIT_NAMES = {
    "seconds": "s",
    "second": "s",
    "hour": "hours",
    "minute": "minutes",
    "hrs": "hours",
    "h": "hours",
}

_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|\.\d+)"
_MAG = r"(?:[\s-]?(?:thousand|million|billion|trillion)\b|[KkMBT](?![A-Za-z0-9])|\s[KMB](?=\s+[a-z]))"
_SCI = r"(?:\s?(?:[x×]|\\times|\$\\times\$)\s?10\^\{?[-−]?\d+\}?)"
_PCT = (
    r"(?:\s?(?:\\%p|%p|\\%|%)|\s?percent(?:age)?(?:\s+points?)?\b|\s?per\s?cent\b"
    r"|\s?pp\b|\s?p\.p\.|\s?points?\b|\s?pts?\b)"
)
_TIMES = (
    r"(?:\s?(?:\\times\\\)|\$\\times\$|\\times|×|[xX](?![A-Za-z0-9])|times(?:\b|(?=[A-Z]{2}))|-?fold\b)"
    r"|\s(?:times\b|fold\b))"
)
_ABS = r"(?:\s?(?:" + "|".join(re.escape(u) for u in ABSOLUTE_UNITS) + r")(?![A-Za-z0-9]))"
_PREFIX = r"(?P<prefix>(?:\\\(|\$(?=[^$\s]{0,14}\$|\\)|(?P<times>×|\\times\s?|(?<![A-Za-z0-9])x(?=\d)))?(?:\\?sim\s?|\\?approx\s?|~|≈|\$\\sim\$\s?|\$\\approx\$\s?)?(?P<sign>[+\-−](?=\d))?)"
_UNIT = rf"(?P<unit>(?:{_PCT}|{_TIMES})\$?|{_ABS})"

MENTION = re.compile(
    rf"{_PREFIX}(?P<money>\$(?=\d[\d,.]*(?:\s?(?:USD|K|M|B|million|billion))?(?![\d.]*\$)))?"
    rf"(?P<first>{_NUM}(?:{_MAG})?(?:{_SCI})?)(?P<close>\$(?!\\times))?{_UNIT}?"
)
RANGE_SEP = re.compile(r"\s?[-–—~]\s?|\s(?:to)\s(?:~|about\s|approximately\s)?")
SPELLED = re.compile(
    r"\b(?=[aotfsenhdiw])(?:(?P<orders>(?:(?P<ocount>a|an|one|two|three|four|five|six|several)\s+)orders?\s+of\s+magnitude)"
    r"|(?P<word>\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|hundred|a\s+hundred|thousand))"
    r"(?P<wunit>[\s-]+times\b|[\s-]?fold\b)"
    r"|(?P<twice>\btwice\b)|(?P<double>\b(?:doubl(?:e|es|ed|ing))\b)|(?P<halve>\bhalv(?:e|es|ed|ing)\b)"
    r"|(?P<third>\b(?:one|a)[\s-]third\b))",
    re.IGNORECASE,
)


_SPELLED_HINT = re.compile(r"magnitude|times|fold|twice|doubl|halv|third", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """A number (or range) as written: ``start:end`` covers the number and its unit."""

    start: int
    end: int
    value: float | None
    value_min: float | None
    value_max: float | None
    unit: str  # "x" | "%" | "count" | "absolute" | "" (a bare number)
    unit_text: str | None
    sign: str  # "+", "-" or ""
    magnitude: bool  # K/M/B... was written
    decimal: bool
    spelled: bool
    integer_text: str  # the first number's digits as written, for year and marker checks
    high_start: int | None = None  # where a range's second number starts


def parse_number(text: str) -> float:
    """ "1,512" -> 1512; "21M" -> 21e6; "7.1 x 10^-4" -> 7.1e-4; "$18.4$" -> 18.4; signs dropped."""
    text = text.strip().strip("$").strip()
    parts = re.split(r"\s?(?:[x×]|\\times|\$\\times\$)\s?10\^", text, maxsplit=1)
    exponent = 0
    if len(parts) == 2:
        power = re.match(r"\{?([-−]?\d+)", parts[1])
        exponent = int(power.group(1).replace("−", "-")) if power else 0
        text = parts[0]
    m = re.match(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)[\s-]?([A-Za-z]+)?", text)
    if m is None:
        raise ValueError(f"not a number: {text!r}")
    value = float(m.group(1).replace(",", ""))
    suffix = m.group(2)
    if suffix and suffix in MAGNITUDES:
        value *= MAGNITUDES[suffix]
    return value * 10.0**exponent


def _unit_of(unit: str | None) -> tuple[str, str | None]:
    if not unit:
        return "", None
    u = unit.strip().strip("$").strip()
    if re.fullmatch(r"\\%p|%p|\\%|%|percent(?:age)?(?:\s+points?)?|per\s?cent|pp|p\.p\.|points?|pts?", u):
        return "%", None
    if re.fullmatch(r"\\times\\\)|\\times|×|[xX]|times|-?fold", u):
        return "x", None
    return "absolute", UNIT_NAMES.get(u, u)


def find_mentions(text: str) -> list[Mention]:
    """Every numeric mention in ``text``, in order, not overlapping; "1.6x - 4.1x" is one range."""
    singles = [_single(m) for m in _matches(text)]
    found: list[Mention] = []
    for mention in singles:
        previous = found[-1] if found else None
        if previous is not None and _joins(text, previous, mention):
            found[-1] = _range(previous, mention)
        else:
            found.append(mention)
    found.extend(_spelled(text, found))
    found.sort(key=lambda mention: mention.start)
    return found


_DIGIT_TOKEN = re.compile(r"\S*\d\S*")


def _matches(text: str) -> list[re.Match[str]]:
    """MENTION's matches, tried only where a token holds a digit (a whole-text scan is several times slower)."""
    out: list[re.Match[str]] = []
    done = 0
    for token in _DIGIT_TOKEN.finditer(text):
        pos = max(token.start(), done)
        while pos < token.end():
            m = MENTION.search(text, pos, token.end() + 40)
            if m is None or m.start() >= token.end():
                break
            out.append(m)
            pos = done = m.end()
    return out


def _joins(text: str, low: Mention, high: Mention) -> bool:
    """Whether two neighbouring numbers are one range ("5% to 51%", "2-7 times", "8-32B")."""
    if low.value is None or high.value is None or low.sign == "+" or high.sign == "+":
        return False
    gap = text[low.end : high.start]
    if not (RANGE_SEP.fullmatch(gap) or (gap == "" and text[high.start] in "-–~−")):
        return False
    if not high.unit and not high.magnitude and not _COUNTED_AFTER.match(text, high.end):
        return False
    if low.unit and low.unit != high.unit:
        return False
    low_value = low.value * (
        _magnitude_of(high.integer_text) if high.magnitude and not low.magnitude else 1.0
    )
    return low_value < high.value


_COUNTED_AFTER = re.compile(r"\s(?:steps|iterations|epochs|layers|GPUs|nodes|NFEs)\b")


def _range(low: Mention, high: Mention) -> Mention:
    assert low.value is not None and high.value is not None
    low_value = low.value * (
        _magnitude_of(high.integer_text) if high.magnitude and not low.magnitude else 1.0
    )
    return Mention(
        start=low.start,
        end=high.end,
        value=None,
        value_min=low_value,
        value_max=high.value,
        unit=high.unit,
        unit_text=high.unit_text,
        sign=low.sign,
        magnitude=high.magnitude,
        decimal=low.decimal or high.decimal,
        spelled=False,
        integer_text=low.integer_text,
        high_start=high.start,
    )


def _magnitude_of(number: str) -> float:
    m = re.search(r"(thousand|million|billion|trillion|[KkMBT])\s*$", number.strip().strip("$"))
    return MAGNITUDES[m.group(1)] if m else 1.0


def _single(m: re.Match[str]) -> Mention:
    first = m.group("first")
    unit, unit_text = _unit_of(m.group("unit"))
    if m.group("times") and not unit:
        unit = "x"  # "×2.1"
    if m.group("money"):
        unit, unit_text = "absolute", "USD"
    start = m.start()
    end = m.end()
    if m.group("unit") and m.group("unit")[:1].isspace() and not m.group("unit").strip():
        end = m.start("unit")
    return Mention(
        start=start,
        end=end,
        value=parse_number(first),
        value_min=None,
        value_max=None,
        unit=unit,
        unit_text=unit_text,
        sign=(m.group("sign") or "").replace("−", "-"),
        magnitude=bool(re.search(_MAG + "$", first)),
        decimal="." in re.split(r"\s?(?:[x×]|\\times)", first)[0],
        spelled=False,
        integer_text=first,
    )


def _spelled(text: str, numeric: list[Mention]) -> list[Mention]:
    out: list[Mention] = []
    if not _SPELLED_HINT.search(text):
        return out
    taken = [(n.start, n.end) for n in numeric]
    for m in SPELLED.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        if m.group("orders"):
            count = m.group("ocount").lower()
            if count == "several":
                continue
            value = 10.0 ** WORD_NUMBERS[count]
        elif m.group("word"):
            value = float(WORD_NUMBERS[re.sub(r"\s+", " ", m.group("word").lower()).split()[-1]])
        elif m.group("third"):
            value = 3.0
        else:
            value = 2.0
        out.append(
            Mention(
                start=m.start(),
                end=m.end(),
                value=value,
                value_min=None,
                value_max=None,
                unit="x",
                unit_text=None,
                sign="",
                magnitude=False,
                decimal=False,
                spelled=True,
                integer_text="",
            )
        )
    return out
