"""Finds the numbers an abstract reports about its own work, with unit, kind and direction.

Pure and deterministic: no network, no model, no hash-order dependence. Rules: docs/claims.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from paperwire.claims import lexicon as lx
from paperwire.claims.numbers import MENTION, Mention, find_mentions

UNITS = ("x", "%", "count", "absolute")
KINDS = (
    "speedup",
    "memory",
    "energy",
    "accuracy",
    "throughput",
    "latency",
    "cost",
    "size",
    "compute",
    "error",
    "other",
)
DIRECTIONS = ("improve", "reduce", "neutral")


@dataclass(frozen=True)
class Claim:
    """One claim; ``text == abstract[start:end]``; a range sets value_min/value_max and leaves value None."""

    text: str
    start: int
    end: int
    value: float | None
    value_min: float | None
    value_max: float | None
    unit: str  # "x" | "%" | "count" | "absolute"
    unit_text: str | None
    kind: str  # speedup|memory|energy|accuracy|throughput|latency|cost|size|compute|error|other
    direction: str  # improve|reduce|neutral

    def as_json(self) -> dict[str, Any]:
        """The CLI's and API's shape: value or value_min/value_max, unit_text only for absolute units."""
        out: dict[str, Any] = {"text": self.text}
        if self.value is not None:
            out["value"] = self.value
        else:
            out["value_min"] = self.value_min
            out["value_max"] = self.value_max
        out["unit"] = self.unit
        if self.unit == "absolute":
            out["unit_text"] = self.unit_text
        out["kind"] = self.kind
        out["direction"] = self.direction
        return out


def extract_claims(abstract: str) -> list[Claim]:
    """The claims in ``abstract``, in text order; each ``text`` is ``abstract[start:end]``."""
    # Abstracts arrive line-wrapped; the rules read every whitespace character as a space, which keeps
    # offsets, so "API\ncalls" is "API calls" to them and the claims' text is cut from the original.
    text = abstract.translate(_FLAT)
    mentions = find_mentions(text)
    sentences = _sentences(text)
    background = _background(text, sentences)
    urls = [(m.start(), m.end()) for m in _URL.finditer(text)]
    kept: list[tuple[Mention, str, str | None, str]] = []  # mention, unit, unit_text, count kind
    for mention in mentions:
        if any(s <= mention.start < e for s, e in urls) or _in_background(mention, sentences, background):
            continue
        decided = _accept(text, mention)
        if decided is not None:
            kept.append((mention, *decided))
    kept = _drop_baselines(text, kept)
    drafts: list[_Draft] = []
    for position, (mention, unit, unit_text, count_kind) in enumerate(kept):
        lower = drafts[-1].end if drafts else 0
        upper = kept[position + 1][0].start if position + 1 < len(kept) else len(text)
        drafts.append(_draft(text, mention, unit, unit_text, count_kind, lower, upper, sentences))
    _borrow(text, drafts)
    return [_finish(abstract, d) for d in drafts]


_FLAT = {ord(c): " " for c in "\n\r\t\f\v\u00a0\u2028\u2029"}
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:github\.io|com|org|net)\b\S*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\\$])")
_GLUED_AFTER = re.compile(
    r"^-(?:bit|bits|dimensional|degree|layer|layers|stage|step|shot|way|hop|turn|round|view|head|gram|th|"
    r"hour|year|day|cycle|cycles|order|class|fold\s+cross|d|D|k|point|node|channel|core|gpu|GPU)\b"
)
_HYPERPARAMETER = re.compile(
    r"(?:\b[A-Za-z_][\w{}\\^]*|\$[^$]{0,20}|\\\()\s*(?:=|\\geq|\\leq|\\ge|\\le|≥|≤|<|>|\\approx)\s*\$?\{?$"
)
_FROM = re.compile(
    r"\bfrom\s+(?:an?\s+(?:average|mean)\s+of\s+|about\s+|approximately\s+|~|nearly\s+)?\$?$", re.IGNORECASE
)
_TO = re.compile(
    r"^\s*(?:\([^()]{0,30}\)\s*)?(?:(?:at|on|with|for|in)\s[\w\-. ]{1,30}?\s)?to\s+"
    r"(?:nearly\s+|just\s+|about\s+|approximately\s+|only\s+|~)?\$?$",
    re.IGNORECASE,
)
_BASELINE = re.compile(
    r"\b(?:baselines?(?:'s)?(?:\s+\w+)?\s+(?:of|at)|compared\s+(?:to|with)|vs\.?|versus)\s+$", re.I
)


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _background(text: str, sentences: list[tuple[int, int]]) -> set[int]:
    """Sentences about prior work or the field: those before the paper first speaks of itself, and those
    opening like "Existing methods..."; an abstract that never speaks of itself has none."""
    own = [
        bool(lx.SELF_REFERENCE.search(text[s:e]) or lx.OWN_RESULTS.search(text[s:e])) for s, e in sentences
    ]
    out: set[int] = set()
    spoken = False
    for index, (start, end) in enumerate(sentences):
        spoken = spoken or own[index]
        if not own[index] and ((not spoken and any(own)) or lx.BACKGROUND.search(text[start:end])):
            out.add(index)
    return out


def _in_background(mention: Mention, sentences: list[tuple[int, int]], background: set[int]) -> bool:
    return any(s <= mention.start < e for i, (s, e) in enumerate(sentences) if i in background)


def _word_before(text: str, start: int) -> str:
    m = re.search(r"(\S+)\s$", text[max(0, start - 40) : start])
    return m.group(1) if m else ""


def _accept(text: str, m: Mention) -> tuple[str, str | None, str] | None:
    """(unit, unit_text, count kind) when the mention is a claim, None when a skip rule applies."""
    # "$\mathbf{0.9759}$": a bold number is read as the number
    before = _BOLD_OPEN.sub("", text[max(0, m.start - 60) : m.start])
    after = text[m.end : m.end + 60]
    if before != text[max(0, m.start - 60) : m.start]:
        after = after.removeprefix("}").removeprefix("$")
    if m.unit == "x" and re.match(_GPU_NAMES, after):
        return ("count", None, "compute")  # "8 x A100 GPUs", "8timesRTX 4090"
    if _glued(text, m, before, after):
        return None
    if _HYPERPARAMETER.search(before) and not lx.EQUALS_METRIC.search(before):
        return None
    if re.search(r"\bp\s*[=<>]\s*\$?$", before):
        return None
    if not m.unit and not m.spelled and _setting(before, after, m):
        return None
    if m.spelled:
        if (
            m.value == 2.0
            and not re.search(r"^\W{0,2}\s*(?:\w+\s){0,2}?(?:as|the|faster|more|fewer|less)\b", after)
            and not re.search(r"(?:doubl|halv)", text[m.start : m.end], re.I)
        ):
            return None
        if re.match(r"-[A-Za-z]", after):
            return None  # "double-hole plates", "double-blind"
        if (
            re.search(r"times|fold", text[m.start : m.end], re.I)
            and not re.search(
                r"^\s*(?:\w+\s){0,1}?(?:faster|slower|more|fewer|less|lower|higher|larger|smaller|cheaper|"
                r"speedup|speed-up|reduction|improvement|longer|shorter|better|increase|decrease|gain|"
                r"accelerat|compression|saving)",
                after,
                re.I,
            )
            and not re.search(r"\bby\s+(?:up\s+to\s+|about\s+|over\s+)?$", before, re.I)
        ):
            return None
        return ("x", None, "")
    if not m.unit and _FACTOR_OF.search(before):
        return ("x", None, "")  # "by a factor of 3"
    if m.unit == "x" and re.match(r"\s?\$?\s?\d", after):
        return None  # 1024 x 1024, 25m x 25m
    if re.search(r"\d\s?(?:x|×|\\times)\s?$", before):
        return None  # the second side of 1024 x 1024
    if m.unit == "x" and re.match(r"\s*cross[- ]validation", after, re.I):
        return None
    if m.unit == "absolute":
        if m.unit_text in {"GB", "MB", "TB"} and re.match(
            r"\s*(?!of\b)(?:\w+\s)?(?:GPUs?|cards?|memory GPUs?|A100|H100|RAM)\b", after
        ):
            return None
        if m.unit_text == "m" and not re.search(r"\b(?:distance|error|range|accuracy)\b", before + after):
            return None
        return ("absolute", m.unit_text, "")
    if (
        m.unit == "%"
        and re.search(r"\b(?:at|with|under|using)\s+(?:an?\s+)?$", before, re.I)
        and re.match(
            r"\s*(?:\w+\s)?(?:pruning|sparsity|compression|masking|retention|ratio|keep|drop|noise|mask|budget)",
            after,
        )
    ):
        return None
    if m.unit in {"%", "x"}:
        return (m.unit, None, "")
    return _bare(text, m, before, after)


_BOLD_OPEN = re.compile(r"\$?\\(?:mathbf|textbf|mathrm|bm|boldsymbol)\{$")
_AT_LENGTH = re.compile(r"\b(?:at|@)\s+(?:a\s+|the\s+)?(?:~|about\s+)?$", re.I)
_LENGTH_AFTER = re.compile(
    r"^\s*(?:-?\s*tokens?\s+|-token\s+)?(?:input\s+|long\s+|-long\s+)?"
    r"(?:context|sequence|prompt|input)(?:s|\s+(?:lengths?|windows?|sizes?)|\b)",
    re.I,
)
_LENGTH_BEFORE = re.compile(
    r"\b(?:contexts?|sequences?|inputs?|prompts?|lengths?)(?:\s+(?:lengths?|windows?|sizes?))?\s+"
    r"(?:of\s+|up\s+to\s+|to\s+|from\s+|between\s+|varying\s+from\s+|ranging\s+from\s+|as\s+long\s+as\s+)"
    r"(?:about\s+|approximately\s+|~)?$",
    re.I,
)
_LENGTH_CHANGE = re.compile(r"\b(?:extend\w*|extrapolat\w*|scal\w*|expand\w*|increas\w*|grow\w*)\b", re.I)


def _setting(before: str, after: str, m: Mention) -> bool:
    """A context or sequence length the paper evaluates at ("at 128K", "4K--32K context lengths", "a context
    length of 16K"): a setting, not a result; a length the paper extends to is a result."""
    value = m.value if m.value is not None else m.value_max
    if not m.magnitude and (value is None or value < 256):
        return False  # "6 context length intervals" counts something
    if (
        _AT_LENGTH.search(before)
        and not re.search(r"B\W*$|billion", m.integer_text)
        and not (_counted(after) and not re.match(r"\s*tokens?\b", after))
    ):
        return True
    if not (_LENGTH_AFTER.match(after) or _LENGTH_BEFORE.search(before)):
        return False
    clause = re.split(r"[.;,]\s", before)[-1]
    return not _LENGTH_CHANGE.search(clause)


_GPU_NAMES = re.compile(r"\s*(?:NVIDIA|Nvidia|A100|H100|H800|H200|V100|A6000|RTX|TPU|GPU)")
_FACTOR_OF = re.compile(r"\bfactor\s+of\s+(?:up\s+to\s+|about\s+|approximately\s+|over\s+|~)?\$?$", re.I)


def _glued(text: str, m: Mention, before: str, after: str) -> bool:
    """A digit inside a name (LLaMA2-7B, A100, CIFAR-100, top-1, mAP@50, v0.3, 3D, O(n^2), [12])."""
    prev = before[-1:] if before else ""
    if prev == "/" and len(before) >= 2 and before[-2] in "%x×":
        return False  # "2.5%/2.7%"
    if prev and (prev.isalnum() or prev in "_@/^{.\\'’"):
        return True
    if prev == ":" and len(before) >= 2 and before[-2].isdigit():
        return True  # "a 1:3 ratio"
    if prev in "-–" and len(before) >= 2 and (before[-2].isalnum() or before[-2] in ")"):
        return True
    if prev == "(" and len(before) >= 2 and before[-2].isalpha():
        return True
    if prev == "[" or re.match(r"\]", after):
        return True
    nxt = after[:1]
    if nxt and (nxt.isalpha() or nxt in "_@^") and not m.spelled:
        return True
    if re.match(r"\.\d", after) or (re.match(r"[/:]\d", after) and not m.unit):
        return True
    if _GLUED_AFTER.match(after):
        return True
    if re.match(r"-(?!\d)", after) and not m.unit:
        word = re.match(r"-([A-Za-z]+)", after)
        if word and not (
            _count_kind(word.group(1)) or word.group(1).lower() in {"parameter", "billion", "million"}
        ):
            return True
    return False


def _counted(after: str) -> str:
    """The kind of the thing counted when one of the next few words is a count noun, else ""."""
    head = re.split(r"[,;:()\[\].]", after, maxsplit=1)[0]
    for word in re.findall(r"[A-Za-z][\w'&+-]*", head)[:4]:
        if lx.NOT_COUNTED.match(word):
            break
        kind = _count_kind(word)
        if kind:
            return kind
    return ""


def _count_kind(word: str) -> str:
    for kind, pattern in lx.COUNT_KINDS:
        if pattern.match(word):
            return kind
    return ""


def _bare(text: str, m: Mention, before: str, after: str) -> tuple[str, str | None, str] | None:
    """A number without unit: a count of something, a score, or nothing to report."""
    assert m.value is not None or m.value_min is not None
    value = m.value if m.value is not None else m.value_max
    assert value is not None
    if (
        not m.decimal
        and not m.magnitude
        and m.value is not None
        and 1900 <= value <= 2039
        and "," not in m.integer_text
    ) and not re.match(r"\s+(?:[a-z]+\s)?(?:steps|samples|images|examples|tokens|users|papers)\b", after):
        return None
    if (
        not m.decimal
        and not m.magnitude
        and re.match(r"\)", after)
        and re.search(r"(?:\(|^|\s)$", before)
        and value <= 20
    ):
        return None
    previous = _word_before(text, m.start)
    prev_clean = previous.strip("(,;:")
    if re.fullmatch(r"\d+(?:\.\d+)?", prev_clean) and re.search(r"[A-Z]\w*\s+\S+\s+$", before):
        return None  # "Llama 3 8B": the size is part of the name
    if (
        prev_clean
        and any(c.isupper() for c in prev_clean)
        and prev_clean.lower() not in lx.SENTENCE_START_WORDS
        and not previous.endswith((",", ";", ":"))
        and not lx.METRIC_NAMES.match(prev_clean)
        and not re.search(r"[.!?]\s*$", text[max(0, m.start - len(previous) - 3) : m.start - len(previous)])
    ):
        return None
    if m.sign == "+" and value <= 100 and not m.magnitude and not _counted(after):
        return ("%", None, "")  # "+5.3 on spatial tasks": points
    shared = re.match(r"\s*(?:,|and|or|/)\s*(?:and\s+)?", after)
    if shared:
        nxt = MENTION.match(after, shared.end())
        if nxt and nxt.group("unit") and not nxt.group("money"):
            single = find_mentions(after[shared.end() :])[:1]
            if single and single[0].unit in {"%", "x", "absolute"}:
                return (single[0].unit, single[0].unit_text, "")
    chain = re.match(r"(?:\s*/\s*\d+(?:\.\d+)?)+", after)
    if m.decimal and chain and _named_score(after[chain.end() :]):
        return _score_unit(value, before, after[chain.end() :])  # "99.79 / 99.54 / 99.66 P / R / F1"
    if (
        m.decimal
        and not m.magnitude
        and value <= 100
        and not _counted(after)
        and (_ACRONYM.match(after) or _CHANGED_BY.search(before))
    ):
        return _score_unit(value, before, after)  # "97.45 TEDS", "accuracy increased by 2.77"
    if (lx.METRIC_AFTER.search(after) and not re.match(r"\s*(?:points?|pts?)\b", after)) or (
        m.decimal and not m.magnitude and lx.METRIC_BEFORE.search(before) and not _counted(after)
    ):
        return _score_unit(value, before, after)
    words = re.findall(r"[A-Za-z][\w'&+-]*", re.split(r"[,;:()\[\].]", after, maxsplit=1)[0])[:4]
    first_word = words[0] if words and re.match(r"\s*\+?\$?\s*-?[A-Za-z]", after) else ""
    if (
        first_word
        and lx.NOT_COUNTED.match(first_word)
        and not (m.magnitude and first_word.lower() in {"and", "to"})
    ):
        first_word = ""
    elif first_word:
        kind = _counted(after)
        if kind:
            return ("count", None, kind)
        named_plural = (  # "250 CUDA kernels", "8 NLP tasks", "70 Python projects"
            len(words) > 1
            and first_word[:1].isupper()
            and re.fullmatch(r"[a-z]{3,}s", words[1]) is not None
            and not lx.NOT_COUNTED.match(words[1])
        )
        if not m.decimal and (
            first_word[:1].islower() or re.fullmatch(r"[A-Z]{2,}s", first_word) or m.magnitude or named_plural
        ):
            return ("count", None, "size" if m.magnitude else "other")
    if m.magnitude:
        if (re.match(r"^\s*(?:\)|/)", after.lstrip(" +$~")) and re.search(r"\(\s*$", before)) or after[
            :1
        ] == ":":
            return None
        return ("count", None, "size")
    if not m.decimal and re.search(r"\b(?:score|error rate|accuracy|f1|map)\s+(?:of\s+)?$", before, re.I):
        return _score_unit(value, before, after)
    if m.decimal and re.search(r"\(\s*$", before):
        name = _word_before(text, m.start - 1).lower()
        if re.search(r"(?:map|f1|auc|ap|score|recall|precision|fid|psnr|ssim|@)", name):
            return _score_unit(value, before, after)
    return None


_ACRONYM = re.compile(r"\s(?:[A-Z]-)?[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b(?![-.]?\d)")
_CHANGED_BY = re.compile(
    r"\b(?:improv\w*|increas\w*|boost\w*|outperform\w*|surpass\w*|rais\w*|decreas\w*|drop\w*|"
    r"reduc\w*|lower\w*|accuracy|recall|precision|f1|score)\s+(?:[\w-]+\s+){0,4}?by\s+"
    r"(?:up\s+to\s+|about\s+|over\s+|~|an?\s+average\s+of\s+)?$",
    re.I,
)


def _named_score(after: str) -> bool:
    return bool(lx.METRIC_AFTER.search(after) or _ACRONYM.match(after))


_SCORE_NAME = re.compile(
    r"(?:\b|^)(f1|m?ap(?:@[\d.:]+)?|auc|fid|[rg]fid|psnr|ssim|ms-ssim|lpips|recall|precision|ndcg(?:@\d+)?|"
    r"bleu|rouge[-\w]*|accuracy|spl|geneval|imagereward|fvd|cider|chrf\+*|j&f|miou|iou|dice|wer|cer|epe|"
    r"rmse|mae|loss|perplexity|kappa|gini|correlation|rtf|db|error)(?:\b|$)",
    re.IGNORECASE,
)
_ZERO_TO_HUNDRED = re.compile(
    r"^(?:m?ap(?:@[\d.:]+)?|ndcg(?:@\d+)?|bleu|rouge[-\w]*|accuracy|chrf\+*|j&f|miou|iou|dice|wer|cer|f1|"
    r"recall|precision|success)$",
    re.IGNORECASE,
)


def _score_unit(value: float, before: str, after: str) -> tuple[str, str | None, str]:
    m = _SCORE_NAME.search(after[:30]) or None
    name = m.group(1) if m else ""
    if not name:
        found = list(_SCORE_NAME.finditer(before[-40:]))
        name = found[-1].group(1) if found else ""
    if re.match(r"\s*(?:points?|pts?|pp)\b", after):
        return ("%", None, "")
    if value > 1 and (not name or _ZERO_TO_HUNDRED.match(name)) and value <= 100:
        return ("%", None, "")
    return ("absolute", name or "score", "")


_COMPARED = re.compile(
    r"\b(?:compared\s+(?:to|with)|comparable\s+to(?:\s+th(?:at|ose)\s+of)?|on\s+par\s+with|(?<!more )(?<!less )(?<!fewer )(?<!greater )(?<!higher )(?<!lower )than|"
    r"versus|vs\.?)\s(?:(?!\b(?:and|that|while|which|but|show|shows|(?:with|in|using)\s+(?:only|just|merely))\b)[^,;.()]){0,50}$",
    re.IGNORECASE,
)


_THEIRS_IN_PARENS = re.compile(
    r"\b(?:outperform\w*|surpass\w*|beat\w*|exceed\w*|over|than|vs\.?|versus)\s+(?:the\s+)?"
    r"[A-Z][\w.+-]*(?:\s[A-Z][\w.+-]*){0,2}\s\([^()]*$"
)


def _drop_baselines(
    text: str, kept: list[tuple[Mention, str, str | None, str]]
) -> list[tuple[Mention, str, str | None, str]]:
    """ "from 54.8% to 81.0%": the first number is where the paper started, the claim is the second."""
    out: list[tuple[Mention, str, str | None, str]] = []
    for item in kept:
        mention = item[0]
        before = text[max(0, mention.start - 40) : mention.start]
        if _BASELINE.search(before) and item[1] != "count":
            continue
        if _THEIRS_IN_PARENS.search(text, max(0, mention.start - 80), mention.start):
            continue
        clause = text[max(0, mention.start - 60) : mention.start]
        if _COMPARED.search(clause) and not re.search(r"\bby\s", clause[_COMPARED.search(clause).start() :]):  # type: ignore[union-attr]
            continue
        if (
            mention.high_start is not None
            and item[1] != "count"
            and _FROM.search(before)
            and not re.search(r"\brang\w*\s+from\s+\S*$", before, re.I)
        ):
            low = mention.value_min
            mention = replace(
                mention,
                start=mention.high_start,
                value=mention.value_max,
                value_min=None,
                value_max=None,
                high_start=None,
            )
            out.append((replace(mention, sign="<" if low is not None else ""), *item[1:]))
            continue
        if out and mention.value is not None:
            prior = out[-1][0]
            gap = text[prior.end : mention.start]
            prior_before = text[max(0, prior.start - 40) : prior.start]
            if (
                prior.value is not None
                and _FROM.search(prior_before)
                and _TO.match(gap)
                and out[-1][1] == item[1]
            ):
                out.pop()
                sign = "<" if mention.value > prior.value else ">"
                out.append((replace(mention, sign=sign), *item[1:]))
                continue
        out.append(item)
    return out


def _window(
    text: str, m: Mention, lower: int, upper: int, sentences: list[tuple[int, int]]
) -> tuple[int, int]:
    """The clause around a number: where its kind and direction words are looked for."""
    sent_start, sent_end = next(((s, e) for s, e in sentences if s <= m.start < e), (0, len(text)))
    left = max(lower, sent_start, m.start - 70)
    right = min(upper, sent_end, m.end + 50)
    cut = max(
        (
            mm.end()
            for mm in re.finditer(r"[;:]\s|\)\s|,\s(?=(?:and|while|but|which)\b)", text[left : m.start])
        ),
        default=0,
    )
    left += cut
    stop = re.search(
        r"[,;:()]|\s[-–—]{1,2}\s|\s(?:while|whereas|but|compared|than|versus|vs\.?|and|with|on|across|for|at|under)\b",
        text[m.end : right],
    )
    if stop:
        right = m.end + stop.start()
    return left, right


def _nearest(
    pattern: re.Pattern[str], text: str, left: int, start: int, end: int, right: int
) -> tuple[int, int, int] | None:
    """(distance, match start, match end) of the match nearest the number, within [left, right)."""
    best: tuple[int, int, int] | None = None
    for mm in pattern.finditer(text, left, start):
        if re.match(r"\s+than\s+\S{0,12}$", text[mm.end() : start]) and text[
            mm.start() : mm.end()
        ].lower() in {
            "more",
            "less",
            "fewer",
        }:
            continue  # "more than 1,600": a bound, not a change
        d = start - mm.end()
        if best is None or d < best[0]:
            best = (d, mm.start(), mm.end())
    for mm in pattern.finditer(text, end, right):
        d = mm.start() - end
        if best is None or d < best[0]:
            best = (d, mm.start(), mm.end())
        break
    return best


@dataclass
class _Draft:
    mention: Mention
    unit: str
    unit_text: str | None
    kind: str
    direction: str
    kind_cue: bool
    direction_cue: bool
    start: int
    end: int
    sentence: int
    kind_at: int = -1  # where the word that gave the kind starts, -1 when none did


_OUTPERFORMS_BY = re.compile(
    r"\b(?:outperform\w*|surpass\w*|beat\w*|exceed\w*)\b[^.;]{0,110}?\bby\s+"
    r"(?:up\s+to\s+|about\s+|over\s+|nearly\s+|approximately\s+|~|an?\s+average\s+of\s+)?\$?$",
    re.IGNORECASE,
)
_RIGHT_FIRST = [
    ("speedup", re.compile(r"\b(?:faster|speed[- ]?ups?|speedups?)\b", re.IGNORECASE)),
    ("throughput", re.compile(r"\b(?:utili[sz]ation|mfu|throughput)\b", re.IGNORECASE)),
]
_ERROR_UNITS = {"px", "mm", "cm", "degrees", "°"}


def _kind(
    text: str, m: Mention, unit: str, unit_text: str | None, count_kind: str, left: int, right: int
) -> tuple[str, tuple[int, int, int] | None]:
    if count_kind:
        return count_kind, None
    if unit == "absolute" and unit_text:
        for name, pattern in lx.UNIT_KINDS.items():
            if pattern.match(unit_text):
                if (
                    name == "latency"
                    and unit_text in {"hours", "minutes", "s"}
                    and re.match(
                        r"\s*(?:\w+\s){0,3}?(?:of\s)?(?:videos?|speech|audio|data|dataset|recordings?|footage|story)",
                        text[m.end : m.end + 60],
                    )
                ):
                    return "size", None
                return name, None
    for name, pattern in _RIGHT_FIRST:
        word = pattern.search(text, m.end, min(right, m.end + 30))
        if word:
            return name, (word.start() - m.end, word.start(), word.end())
    if _OUTPERFORMS_BY.search(text, max(left - 60, m.start - 130), m.start) and not any(
        p.search(text, m.end, right) for _, p in lx.KIND_CUES[:-1]
    ):
        # "surpasses memory systems such as X by up to 11.5%": the object names the rivals, not the measure
        return "accuracy", None
    of_the = re.match(r"\s*of\s+(?:the\s+|their\s+|its\s+)?", text[m.end : right])
    search_left = left if of_the is None else m.start
    best: tuple[int, int, str, int, int] | None = None
    for rank, (name, pattern) in enumerate(lx.KIND_CUES):
        hit = _nearest(pattern, text, search_left, m.start, m.end, right)
        if hit and (best is None or (hit[0], rank) < (best[0], best[1])):
            best = (hit[0], rank, name, hit[1], hit[2])
    if best is None and of_the is not None and unit == "%":
        # "the energy consumption is just 21.97% of the original": nothing named after "of", so the
        # measure is the one named before the number
        for rank, (name, pattern) in enumerate(lx.KIND_CUES[:-1]):
            hit = _nearest(pattern, text, left, m.start, m.start, m.start)
            if hit and (best is None or (hit[0], rank) < (best[0], best[1])):
                best = (hit[0], rank, name, hit[1], hit[2])
    if best is not None and best[0] <= 45:
        if best[3] >= m.end and text[best[3] : best[4]].lower() in {"higher", "better"}:
            # "3.3x higher operation counts": the comparative says which way, the noun after it what
            for name, pattern in lx.KIND_CUES:
                noun = pattern.match(text, best[4] + 1, min(right, best[4] + 40))
                if noun and name != "accuracy":
                    return name, (best[0], best[3], noun.end())
        return best[2], (best[0], best[3], best[4])
    if unit == "x" and re.match(r"\s*(?:smaller|larger|bigger|lighter|more compact)\b", text[m.end : right]):
        return "size", None
    if of_the is not None:
        return "other", None
    if unit == "absolute" and unit_text in _ERROR_UNITS:
        return "error", None
    return ("accuracy" if unit == "%" else "other"), None


_STRONG_REDUCE = re.compile(lx.REDUCE.pattern.replace("only|just|merely|fraction|", ""))
_EFFICIENT = {"compute", "memory", "size", "cost", "energy", "latency"}
_BY = re.compile(
    r"\b(?:by|(?<!\bup\s)to)\s+(?:up\s+to\s+|over\s+|about\s+|around\s+|nearly\s+|approximately\s+|more\s+than\s+|"
    r"at\s+least\s+|an?\s+(?:average|mean)\s+of\s+|~)?\$?\\?\(?$",
    re.IGNORECASE,
)


def _direction(
    text: str, m: Mention, unit: str, kind: str, left: int, right: int, lower: int
) -> tuple[str, tuple[int, int, int] | None]:
    if m.sign == "+":
        return "improve", None
    if m.sign in {"-", "−"}:
        return "reduce", None
    found: list[tuple[int, int, str, int, int]] = []
    weak_ok = unit in {"%", "x"} and kind in _EFFICIENT
    reduce = lx.REDUCE if weak_ok else _STRONG_REDUCE
    for rank, (name, pattern) in enumerate(
        (("reduce", reduce), ("improve", lx.IMPROVE), ("neutral", lx.NEUTRAL))
    ):
        hit = _nearest(pattern, text, left, m.start, m.end, right)
        if hit is not None:
            found.append((hit[0], rank, name, hit[1], hit[2]))
    if unit == "count":
        cut = [f for f in found if f[2] == "reduce" and f[0] <= 12]
        return ("reduce", (cut[0][0], cut[0][3], cut[0][4])) if cut else ("neutral", None)
    change = [f for f in found if f[2] != "neutral" and f[0] <= 45]
    if kind == "speedup" and not [f for f in change if f[2] == "reduce" and f[0] <= 12]:
        up = next((f for f in change if f[2] == "improve"), None)
        return "improve", (up[0], up[3], up[4]) if up else None
    if not change and _BY.search(text[max(lower, m.start - 40) : m.start]):
        # "outperforms all baselines on three benchmarks by 3.2%": the verb is further back
        far = max(lower, m.start - 130, left - 60)
        for rank, (name, pattern) in enumerate((("reduce", _STRONG_REDUCE), ("improve", lx.IMPROVE))):
            hit = _nearest(pattern, text, far, m.start, m.start, m.start)
            if hit is not None:
                change.append((hit[0], rank, name, hit[1], hit[2]))
        if change:
            best = min(change)
            return best[2], (best[0], best[3], best[4])
    if not change:
        # "80% memory and energy reductions": the change word comes after a short list of what changed
        tail = re.match(
            r"[^,;.()\d]{0,40}?\b(reductions?|savings?|improvements?|gains?|increases?|decreases?)\b",
            text[m.end : m.end + 50],
        )
        if tail:
            return ("reduce" if re.match(r"reduc|sav|decreas", tail.group(1)) else "improve"), None
    if m.sign in {"<", ">"} and not change:
        return ("improve" if m.sign == "<" else "reduce"), None
    if change:
        best = min(change)
        return best[2], (best[0], best[3], best[4])
    neutral = [f for f in found if f[2] == "neutral" and f[0] <= 45]
    if unit == "%" and kind in _EFFICIENT and re.match(r"\s*of\s+(?:the\s+)?", text[m.end : m.end + 10]):
        return "reduce", None  # "in 47% of the wall-clock time"
    if unit == "x" and kind in {"throughput", "accuracy"}:
        return "improve", None  # "a 3x throughput"
    if neutral:
        return "neutral", (neutral[0][0], neutral[0][3], neutral[0][4])
    return "neutral", None


def _draft(
    text: str,
    m: Mention,
    unit: str,
    unit_text: str | None,
    count_kind: str,
    lower: int,
    upper: int,
    sentences: list[tuple[int, int]],
) -> _Draft:
    left, right = _window(text, m, lower, upper, sentences)
    kind, kind_hit = _kind(text, m, unit, unit_text, count_kind, left, right)
    sent_start = next((s for s, e in sentences if s <= m.start < e), 0)
    direction, direction_hit = _direction(text, m, unit, kind, left, right, max(lower, sent_start))
    start, end = m.start, m.end
    for hit in (kind_hit, direction_hit):
        if hit is not None and hit[0] <= 40:
            start, end = min(start, hit[1]), max(end, hit[2])
    if re.search(r"\d", text[start : m.start]):
        start = m.start  # the span never reaches back over another number ("from 72.9% to 81.1%")
    if re.search(r"\d", text[m.end : end]):
        end = m.end
    sentence = next((i for i, (s, e) in enumerate(sentences) if s <= m.start < e), 0)
    return _Draft(
        mention=m,
        unit=unit,
        unit_text=unit_text if unit == "absolute" else None,
        kind=kind,
        direction=direction,
        kind_cue=kind_hit is not None or bool(count_kind) or unit == "absolute",
        direction_cue=direction_hit is not None or m.sign != "",
        start=max(start, lower),
        end=end,
        sentence=sentence,
        kind_at=kind_hit[1] if kind_hit is not None else -1,
    )


_LINK = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|/\s*|;\s*)$")


def _borrow(text: str, drafts: list[_Draft]) -> None:
    """A number listed next to another ("1.35x and 1.50x speedups", "30% in X, 18% in Y") takes its
    neighbour's kind, and direction, when its own words say nothing."""
    for index, draft in enumerate(drafts):
        if index > 0 and _parallel(text, drafts[index - 1], draft):
            prev = drafts[index - 1]
            draft.kind, draft.direction = prev.kind, prev.direction
            continue
        if draft.kind_cue and draft.direction_cue:
            continue
        neighbours = []
        if index + 1 < len(drafts):
            nxt = drafts[index + 1]
            if nxt.sentence == draft.sentence and _LINK.match(text[draft.mention.end : nxt.mention.start]):
                neighbours.append(nxt)
        if index > 0:
            prev = drafts[index - 1]
            gap = text[prev.mention.end : draft.mention.start]
            if prev.sentence == draft.sentence and len(gap) <= 60 and not re.search(r"[;:]|\.\s", gap):
                neighbours.append(prev)
        for other in neighbours:
            if other.unit != draft.unit:
                continue
            if not draft.kind_cue and other.kind_cue:
                draft.kind, draft.kind_cue = other.kind, True
                if draft.kind == "speedup" and draft.direction == "neutral":
                    draft.direction = "improve"  # "delivers 1.3x and 3x speed-ups"
            if (
                not draft.direction_cue
                and other.direction_cue
                and draft.direction == "neutral"
                and draft.unit != "count"
            ):
                draft.direction, draft.direction_cue = other.direction, True


_CONDITION_LIST = re.compile(r"\s+(?:under|on|in|for|with|at)\s+[^,;.\d]{1,30}?\s*(?:,\s*(?:and\s+)?|and\s+)")


def _parallel(text: str, prev: _Draft, draft: _Draft) -> bool:
    """ "reductions of 60.4% under LPIPS and 68.8% under DISTS": the second number repeats the first's
    measure under another condition, and the condition's name (LPIPS) is not what it measures."""
    return (
        prev.unit == draft.unit
        and prev.sentence == draft.sentence
        and prev.kind_cue
        and prev.mention.end <= draft.kind_at < draft.mention.start
        and _CONDITION_LIST.fullmatch(text, prev.mention.end, draft.mention.start) is not None
    )


def _finish(text: str, draft: _Draft) -> Claim:
    m = draft.mention
    return Claim(
        text=text[draft.start : draft.end],
        start=draft.start,
        end=draft.end,
        value=m.value,
        value_min=m.value_min,
        value_max=m.value_max,
        unit=draft.unit,
        unit_text=draft.unit_text,
        kind=draft.kind,
        direction=draft.direction,
    )
