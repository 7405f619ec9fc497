"""The rules added after the independent check (benchmarks/claims/labels_check.jsonl): each one alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperwire.claims import extract_claims

CHECK = Path(__file__).resolve().parents[2] / "benchmarks" / "claims" / "labels_check.jsonl"


def claims(text: str) -> list[tuple[str, float | None, str, str, str]]:
    return [(c.text, c.value, c.unit, c.kind, c.direction) for c in extract_claims("We propose X. " + text)]


@pytest.mark.parametrize(
    "text",
    [
        "It is 2.1x faster at 16K and saves 40% memory at 128k.",
        "We evaluate on 4K--32K context lengths and get a 3x speedup.",
        "It keeps a 1.8x speedup at a context length of 128K.",
        "The benchmark holds contexts up to 150K tokens and we reach 3x speedup.",
        "It runs with up to 64K context and gives a 3x speedup.",
    ],
)
def test_context_lengths_evaluated_at_are_settings(text: str) -> None:
    assert [c[1] for c in claims(text)] in ([2.1, 40.0], [3.0], [1.8])


def test_a_length_the_paper_extends_to_is_a_claim() -> None:
    found = extract_claims("We propose X. It extends the context length from 4K to 128K tokens.")
    assert [(c.value_min, c.value_max) for c in found] == [(4000.0, 128000.0)]
    assert claims("It keeps 6 context length intervals.")[0][1] == 6.0  # a count, not a length


def test_up_to_is_a_bound_not_a_change() -> None:
    text = "It relies on VAE decoder pruning. Results show it achieves up to 40 FPS at 720p."
    assert claims(text) == [("achieves up to 40 FPS", 40.0, "absolute", "throughput", "neutral")]


def test_a_borrowed_speedup_is_an_improvement() -> None:
    found = claims("It delivers 1.3$\\times$ and 3$\\times$ speed-ups in prefill and decoding.")
    assert [(c[1], c[3], c[4]) for c in found] == [(1.3, "speedup", "improve"), (3.0, "speedup", "improve")]


def test_ranging_from_keeps_the_range() -> None:
    found = extract_claims("We propose X. Reuse reaches 58.6% (ranging from 54-60% across tasks).")
    assert [(c.value, c.value_min, c.value_max) for c in found][1] == (None, 54.0, 60.0)


def test_relative_to_names_no_metric() -> None:
    found = claims("It cuts P95 latency by 39.2-54.9% relative to a sequential baseline.")
    assert [(c[3], c[4]) for c in found] == [("latency", "reduce")]


def test_elevates_is_an_improvement() -> None:
    assert claims("It elevates the performance ceiling by approximately 30\\%-50\\%.")[0][4] == "improve"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("It gives more than a tenfold acceleration.", 10.0),
        ("It is a fivefold speedup.", 5.0),
        ("It is nine-fold faster.", 9.0),
    ],
)
def test_spelled_factors_glued_to_fold(text: str, value: float) -> None:
    assert [(c[1], c[2]) for c in claims(text)] == [(value, "x")]


def test_gpu_count_with_lost_latex_times() -> None:
    found = claims("It runs with 6.54times lower latency on 8timesRTX 4090 GPUs.")
    assert [(c[1], c[2], c[3]) for c in found] == [(6.54, "x", "latency"), (8.0, "count", "compute")]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("It gives up to 12,000times lower overhead than fine-tuning.", "compute"),
        ("It incurs 3.3x higher operation counts.", "compute"),
        ("It reaches 2x higher energy efficiency.", "energy"),
        ("It collects 6,000 agent-hand observations.", "size"),
    ],
)
def test_kind_lexicon(text: str, kind: str) -> None:
    assert claims(text)[0][3] == kind


def test_additional_overhead_is_an_increase() -> None:
    found = claims("With as little as 0.01% additional compute overhead, it matches the baselines.")
    assert found[0][3:] == ("compute", "improve")


def test_scores_named_by_an_acronym_or_a_slash_list() -> None:
    text = "It reaches 95.23 TEDS on A, 97.45 TEDS / 98.69 S-TEDS on B, and 99.79 / 99.54 / 99.66 precision / recall / F1."
    assert [c[1] for c in claims(text)] == [95.23, 97.45, 98.69, 99.79, 99.54, 99.66]
    assert {c[2] for c in claims(text)} == {"%"}


def test_bare_score_change_after_by() -> None:
    found = claims("Compared to the baseline, accuracy increased by 2.77.")
    assert found == [("accuracy increased by 2.77", 2.77, "%", "accuracy", "improve")]


def test_comparable_to_marks_a_baseline() -> None:
    found = claims("It reaches 71.2% accuracy, comparable to that of 8B models.")
    assert [c[1] for c in found] == [71.2]
    kept = claims(
        "It matches the dense model's quality, comparable to the baseline with only 37.2% of the FLOPs."
    )
    assert [c[1] for c in kept] == [37.2]


def test_parallel_conditions_repeat_the_measure() -> None:
    found = claims("It achieves bitrate reductions of 60.4% under LPIPS and 68.8% under DISTS.")
    assert [(c[1], c[3], c[4]) for c in found] == [(60.4, "memory", "reduce"), (68.8, "memory", "reduce")]


def test_check_set_is_fresh_and_well_formed() -> None:
    records = [json.loads(line) for line in CHECK.read_text(encoding="utf-8").splitlines()]
    labelled = CHECK.with_name("labels.jsonl").read_text(encoding="utf-8")
    assert len(records) >= 80 and sum(len(r["claims"]) for r in records) >= 100
    for record in records:
        assert f'"id": "{record["id"]}"' not in labelled
        for claim in record["claims"]:
            assert record["abstract"][claim["start"] : claim["end"]] == claim["text"]


def test_factor_written_with_a_leading_x() -> None:
    found = claims("It gives an average speedup of x17.7, with peak speedups reaching x449.")
    assert [(c[1], c[2], c[3], c[4]) for c in found] == [
        (17.7, "x", "speedup", "improve"),
        (449.0, "x", "speedup", "improve"),
    ]


def test_count_range_before_steps() -> None:
    found = extract_claims("We propose X, which generates high-quality images in 1-4 steps.")
    assert [(c.value_min, c.value_max, c.unit, c.kind) for c in found] == [(1.0, 4.0, "count", "compute")]


def test_gigabytes_of_gpu_memory_are_memory_not_hardware() -> None:
    assert claims("It saves 2.3 GB of GPU memory.")[0][1:4] == (2.3, "absolute", "memory")
    assert claims("It trains on 48GB GPUs with a 2x speedup.")[0][1] == 2.0


def test_budgets_ratios_and_resolutions_are_settings() -> None:
    found = claims("With a 20% token budget it increases throughput by 3x at 1024 x 1024 with a 1:3 ratio.")
    assert [c[1] for c in found] == [3.0]


def test_nfe_counts_and_plural_computations() -> None:
    assert claims("It keeps quality in as few as 5 NFEs.")[0][3] == "compute"
    assert claims("It reduces attention computations by 99.5%.")[0][3:] == ("compute", "reduce")


def test_rivals_numbers_in_parentheses_are_baselines() -> None:
    found = claims(
        "It reaches 7.59 FID, outperforming FLUX-schnell (7.94 FID / 0.71 GenEval) while 10x faster."
    )
    assert [c[1] for c in found] == [7.59, 10.0]


def test_far_change_verb_is_shared_by_a_listed_neighbour() -> None:
    found = claims(
        "It outperforms several strong LLM baselines by up to 53.31% on in-domain data and 41.67% on the rest."
    )
    assert [(c[1], c[3], c[4]) for c in found] == [
        (53.31, "accuracy", "improve"),
        (41.67, "accuracy", "improve"),
    ]


def test_outperforming_rivals_by_measures_a_score() -> None:
    found = claims("It surpasses memory systems such as Bank by up to 11.5%.")
    assert found[0][3:] == ("accuracy", "improve")


def test_percent_of_an_unnamed_thing_takes_the_measure_before() -> None:
    found = claims("The energy consumption of X is just 21.97% of the original C3D.")
    assert found[0][3:] == ("energy", "reduce")


def test_counts_before_a_named_plural() -> None:
    found = claims("It is evaluated on 250 CUDA kernels and 8 NLP tasks.")
    assert [(c[1], c[2]) for c in found] == [(250.0, "count"), (8.0, "count")]


def test_bold_latex_numbers_and_compound_double() -> None:
    found = claims("It achieves $\\mathbf{0.9759}$ on GenEval. Tests on double-hole plates pass.")
    assert [c[1] for c in found] == [0.9759]
