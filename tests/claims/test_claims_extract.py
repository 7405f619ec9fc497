"""The extractor on the forms the rules name: values, ranges, LaTeX residue, units, kinds, skips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from paperwire.claims import DIRECTIONS, KINDS, UNITS, Claim, extract_claims

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "benchmarks" / "claims" / "labels.jsonl"


def one(text: str) -> Claim:
    claims = extract_claims("We propose a method. " + text)
    assert len(claims) == 1, claims
    return claims[0]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("It lowers the error by -82.30% on average.", 82.3, "%"),
        ("The dataset holds 21M image-text pairs.", 21e6, "count"),
        ("Decoding becomes two orders of magnitude faster.", 100.0, "x"),
        ("Training is four times faster than before.", 4.0, "x"),
        ("Latency falls to 226ms per query.", 226.0, "absolute"),
        ("It reaches 1,512 radiographs labelled.", 1512.0, "count"),
        ("The model has a 14-billion parameter backbone.", 14e9, "count"),
        ("Serving costs under $1,000 USD in total.", 1000.0, "absolute"),
    ],
)
def test_values_as_written(text: str, value: float, unit: str) -> None:
    claim = one(text)
    assert claim.value == pytest.approx(value)
    assert claim.unit == unit
    assert (claim.value_min, claim.value_max) == (None, None)


@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("The energy consumptions are reduced by 1.6x - 4.1x on GPUs.", 1.6, 4.1, "x"),
        ("Accuracy improves by 5% to 51% across tasks.", 5.0, 51.0, "%"),
        ("Inference runs 2-7 times faster.", 2.0, 7.0, "x"),
        ("We train models from 1.8B to 7B parameters.", 1.8e9, 7e9, "count"),
        ("The endpoint error is 0.83-1.07 px overall.", 0.83, 1.07, "absolute"),
    ],
)
def test_ranges(text: str, low: float, high: float, unit: str) -> None:
    claim = one(text)
    assert claim.value is None
    assert claim.value_min == pytest.approx(low)
    assert claim.value_max == pytest.approx(high)
    assert claim.unit == unit
    assert claim.as_json()["value_min"] == pytest.approx(low)
    assert "value" not in claim.as_json()


@pytest.mark.parametrize(
    ("text", "number", "value", "unit"),
    [
        ("It improves accuracy by 25.1\\% on ImageNet.", "25.1\\%", 25.1, "%"),
        ("The kernel is 4.36times faster.", "4.36times", 4.36, "x"),
        ("Memory drops by approx60% in long contexts.", "approx60%", 60.0, "%"),
        ("Recall reaches sim75\\% on the hard split.", "sim75\\%", 75.0, "%"),
        ("Human preference rises by a $52.00\\%$ margin.", "$52.00\\%$", 52.0, "%"),
        ("It reduces latency by \\(5.1\\times\\) over the baseline.", "\\(5.1\\times\\)", 5.1, "x"),
        ("We obtain up to a 28.8$\\times$ speedup.", "28.8$\\times$", 28.8, "x"),
    ],
)
def test_latex_residue_is_kept_as_written(text: str, number: str, value: float, unit: str) -> None:
    claim = one(text)
    assert number in claim.text
    assert claim.value == pytest.approx(value)
    assert claim.unit == unit


@pytest.mark.parametrize(
    ("text", "kind", "direction", "unit"),
    [
        ("Our method reduces memory usage by up to 61%.", "memory", "reduce", "%"),
        ("It achieves 2x faster speed.", "speedup", "improve", "x"),
        ("It reaches a top-1 accuracy of 84.8%.", "accuracy", "neutral", "%"),
        ("The model was trained on 3072 GPUs.", "compute", "neutral", "count"),
        ("It reduces computation by 2.2x.", "compute", "reduce", "x"),
        ("Energy consumption drops by 30%.", "energy", "reduce", "%"),
        ("Throughput increases by 3.1x under load.", "throughput", "improve", "x"),
        ("The end-to-end latency is 35 ms.", "latency", "neutral", "absolute"),
        ("It lowers the serving cost by 40%.", "cost", "reduce", "%"),
        ("It cuts the word error rate by 12%.", "error", "reduce", "%"),
        ("It needs 7x fewer parameters.", "size", "reduce", "x"),
        ("It outperforms the strongest baseline by 3.2 points.", "accuracy", "improve", "%"),
        ("It speeds up training by 40%.", "speedup", "improve", "%"),
        ("Decoding gets a speedup by a factor of 3.", "speedup", "improve", "x"),
        ("Decoding runs at ×2.1 the speed of the baseline.", "speedup", "improve", "x"),
        ("The kernels sustain 312 TFLOPS on one GPU.", "throughput", "neutral", "absolute"),
        ("Each query costs $0.02 to serve.", "cost", "neutral", "absolute"),
        ("It reduces peak memory from 80GB to 24GB.", "memory", "reduce", "absolute"),
    ],
)
def test_kind_direction_unit(text: str, kind: str, direction: str, unit: str) -> None:
    claim = one(text)
    assert (claim.kind, claim.direction, claim.unit) == (kind, direction, unit)


def test_text_holds_the_number_and_its_direction_word() -> None:
    assert one("Our method reduces computation by 2.2x.").text == "reduces computation by 2.2x"
    assert one("It achieves 2x faster speed.").text.startswith("2x faster")


@pytest.mark.parametrize(
    "text",
    [
        "We fine-tune LLaMA2-7B and Qwen3-8B on an A100 and compare with ResNet18.",
        "We evaluate on CIFAR-100, COCO and ImageNet-1K with top-1 and pass@1.",
        "We quantise weights to 8-bit and use T=5 steps with k = 10.",
        "The attention costs O(n log n) instead of O(n^2) time.",
        "This was shown in 2023 (Smith et al., 2021) and in [12].",
        "We propose two modules: (1) a router and (2) a cache, see Section 3.",
        "Code: https://github.com/org/model-v2.1 and project page v0.3.",
        "We run GPT-4o and Gemini 2.5 Flash on 3D scenes at 1024x1024 resolution.",
    ],
)
def test_skips_names_years_hyperparameters_and_asymptotics(text: str) -> None:
    assert extract_claims(text) == []


def test_background_before_the_paper_speaks_of_itself_is_skipped() -> None:
    abstract = (
        "Large models consume up to 80% of data-center energy. "
        "We propose FastX, which reduces energy use by 35%."
    )
    claims = extract_claims(abstract)
    assert [c.value for c in claims] == [35.0]


def test_baseline_start_of_from_to_is_not_a_claim() -> None:
    claims = extract_claims("We propose X. It improves accuracy from 54.8% to 81.0% on STEM tasks.")
    assert [(c.value, c.direction) for c in claims] == [(81.0, "improve")]


def test_labelled_abstracts_give_exact_substrings_in_order() -> None:
    records = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(records) >= 300
    for record in records:
        abstract = record["abstract"]
        claims = extract_claims(abstract)
        for claim in claims:
            assert abstract[claim.start : claim.end] == claim.text
            assert (claim.unit, claim.kind, claim.direction) in {
                (u, k, d) for u in UNITS for k in KINDS for d in DIRECTIONS
            }
            assert (claim.value is None) == (claim.value_min is not None and claim.value_max is not None)
        assert [c.start for c in claims] == sorted(c.start for c in claims)
        assert all(a.end <= b.start for a, b in pairwise(claims))


def test_deterministic_across_hash_seeds() -> None:
    script = (
        "import json, sys; from paperwire.claims import extract_claims; "
        "lines = open(sys.argv[1], encoding='utf-8').read().splitlines()[:80]; "
        "print(json.dumps([[c.as_json() for c in extract_claims(json.loads(l)['abstract'])] for l in lines]))"
    )
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script, str(LABELS)], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
