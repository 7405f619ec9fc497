"""Words that tell what a number measures (kind) and which way it moved (direction).

Each kind has a pattern matched against the words around a number; the nearest match wins, and on a
tie the earlier kind in KIND_CUES. Kept as data so the rules in docs/claims.md can be read off it.
"""

from __future__ import annotations

import re

KIND_CUES: list[tuple[str, re.Pattern[str]]] = [
    (
        "speedup",
        re.compile(
            r"\b(?:faster|speed[- ]?ups?|speedups?|speeds?\s+up|speeding\s+up|sped\s+up|speed|accelerat\w*|"
            r"quicker|sooner)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "throughput",
        re.compile(
            r"\b(?:throughput|fps|frames per second|tokens per second|tokens/s|utili[sz]ation|mfu|qps|"
            r"requests per second|per hour|bandwidth|tokens/sec|of (?:the )?(?:theoretical |hardware )?peak)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "latency",
        re.compile(
            r"\b(?:latency|latencies|inference time|training time|wall[- ]clock(?: time)?|time per|response time|"
            r"runtime|run time|run-time|delay|rtf|ttft|time-to-first-token|decoding time|time cost|"
            r"generation time|processing time|time)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "memory",
        re.compile(
            r"\b(?:memory|vram|kv[- ]cache|cache|storage|footprint|bit ?rate|bandwidth usage|index|disk|ram|"
            r"model size on disk|compression ratio|compression|bits per)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "energy",
        re.compile(r"\b(?:energy|power|watts?|joules?|carbon|emissions?|co2|battery)\b", re.IGNORECASE),
    ),
    (
        "compute",
        re.compile(
            r"\b(?:[gtpm]?flops?|macs|computations?|computational|compute|gpu[- ]hours?|inference steps|sampling steps|"
            r"denoising steps|steps|epochs|token consumption|token usage|token count|tokens|token budget|reasoning budget|budget|"
            r"response length|length|input sequences?|sequence lengths?|nfes?|function evaluations|activated experts|"
            r"rollouts|iterations|operations|operation counts|ops|overheads?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "cost",
        re.compile(
            r"\b(?:(?<!computational )(?<!compute )(?<!computation )costs?|cheaper|price|pricing|expenditure|expenses?|usd|dollars?|resource consumption|"
            r"api calls)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "error",
        re.compile(
            r"\b(?:errors?|error rates?|wer|cer|epe|rmse|mae|mse|perplexity|ppl|(?<!accuracy )(?<!performance )loss|hallucinations?|"
            r"false positives?|fpr|collisions?|crash(?:es)?|failures?|failure rates?|log loss|eer|"
            r"chamfer distance|abs ?rel|distance)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "size",
        re.compile(
            r"\b(?:param(?:eter)?s?|model size|vocabulary|trainable|dataset size|data requirements|"
            r"labell?ed data|training data)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "accuracy",
        re.compile(
            r"(?:\b(?:accuracy|acc|f1(?:-score)?|f-score|m?ap|ap\d*|auc|auroc|bleu|rouge[-\w]*|meteor|cider|"
            r"chrf\+*|psnr|ssim|ms-ssim|lpips|fid|[rg]fid|fvd|ndcg|mrr|recall|precision|success(?: rates?)?|"
            r"pass(?: rates?)?|asr|win[- ]rates?|performance|improvements?|gains?|outperform\w*|surpass\w*|"
            r"score|scores|points|j&f|dice|m?iou|em|exact match|preference|fidelity|quality|geneval|"
            r"imagereward|spl|calibration|completion rates?|detection rates?|harmless rates?|pass@\d+|"
            r"top-\d|r@\d+|recall@\d+|hit@\d+|correlation|agreement|absolute|relative(?!\s+to\b)|better|higher)\b)",
            re.IGNORECASE,
        ),
    ),
]

# Count nouns: the thing a bare number counts, and the kind that count is.
COUNT_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("size", re.compile(r"^(?:param(?:eter)?s?|weights)$", re.IGNORECASE)),
    (
        "compute",
        re.compile(
            r"^(?:gpus?|tpus?|npus?|nodes|accelerators|epochs?|steps?|rollouts?|iterations?|gpu-hours|flops|nfes?)$",
            re.IGNORECASE,
        ),
    ),
    (
        "size",
        re.compile(
            r"^(?:images?|samples?|examples?|instances?|pairs?|videos?|clips?|papers?|questions?|qas?|"
            r"dialogues?|conversations?|annotations?|trajector(?:y|ies)|frames?|utterances?|records?|"
            r"episodes?|identities|users?|problems?|instructions?|demonstrations?|comments?|profiles?|"
            r"documents?|sentences?|words?|scenes?|subreddits?|environments?|scenarios?|entries|triplets?|"
            r"cases?|actions?|boxes|radiographs?|tokens?|hours?|minutes?|items?|prompts?|"
            r"responses?|images-text|captions?|tracklets?|objects?|shapes?|sessions?|vignettes?|"
            r"recordings?|speakers?|articles?|posts?|reviews?|programs?|points?|molecules?|proteins?|"
            r"volunteers?|photos?|views?|meshes|assets?|labels?|observations?|pages|corpora)$",
            re.IGNORECASE,
        ),
    ),
]

# Words after a bare number that show it is not a count of anything reported.
NOT_COUNTED = re.compile(
    r"^(?:and|or|of|to|in|on|at|by|with|for|from|is|are|was|were|the|a|an|than|as|that|which|we|our|"
    r"times|resolution|bit|bits|layers?|heads?|stages?|shot|way|hop|round|rounds|th|st|nd|rd|years?|"
    r"months?|percent|per|vs|versus|out|over|under|more|less|fewer|ways?|dimensions?|channels?|"
    r"classes|degrees?|across|all|each|every|among|within|between|during|after|before|when|if|while|"
    r"under|without|using|via|per|into|onto|through)$",
    re.IGNORECASE,
)

REDUCE = re.compile(
    r"\b(?:reduc\w*|lower\w*|less|fewer|cut|cuts|cutting|decreas\w*|drops?|dropp\w*|smaller|sav(?:e|es|ed|ing|ings)|"
    r"compress\w*|shrink\w*|shrunk|down|halv\w*|eliminat\w*|remov\w*|los(?:e|es|ing)|"
    r"(?<=accuracy )loss|(?<=performance )loss|(?<=quality )loss|degrad\w*|"
    r"declin\w*|minimi[sz]\w*|only|just|merely|fraction|slash\w*|trim\w*|prun\w*|third|shorten\w*)\b|[−]"
)
IMPROVE = re.compile(
    r"\b(?:improv\w*|increas\w*|boost\w*|gains?|faster|speed[- ]?ups?|speedups?|higher|more|outperform\w*|"
    r"surpass\w*|exceed\w*|rais\w*|better|larger|longer|enhanc\w*|accelerat\w*|lift\w*|extend\w*|"
    r"speeds?\s+up|sped\s+up|"
    r"beat\w*|above|advanc\w*|grow\w*|expand\w*|doubl\w*|jump\w*|climb\w*|elevat\w*|additional|extra|adding|added|adds|up by)\b"
)
NEUTRAL = re.compile(
    r"\b(?:achiev\w*|reach\w*|attain\w*|obtain\w*|scor\w*|yield\w*|records?|delivers?|maintain\w*|"
    r"retain\w*|preserv\w*|keeps?)\b"
)

METRIC_BEFORE = re.compile(
    r"(?:\b(?:score|scores|f1|map|ap|auc|fid|[rg]fid|psnr|ssim|accuracy|error|rmse|mae|mse|recall|precision|"
    r"ndcg(?:@\d+)?|bleu|rouge[-\w]*|kappa|gini|correlation|spl|rtf|wer|cer|epe|loss|perplexity|"
    r"geneval|imagereward|j&f|dice|iou|miou|of|reaching|reaches|reached|achieves?|achieving|achieved|"
    r"attains?|attaining|scoring|scored|to|yields?|obtains?|at|approaching|approximately|around|about|"
    r"exceeds?|exceeding|near|nearly|below|under|within)\b|=)\W{0,3}$",
    re.IGNORECASE,
)
METRIC_AFTER = re.compile(
    r"^\W{0,3}(?:average\s|mean\s|overall\s|avg\.?\s)?(?:f1|m?ap(?:@[\d.:]+)?|ap\d*|auc|fid|[rg]fid|psnr|ssim|ms-ssim|lpips|recall|precision|"
    r"ndcg(?:@\d+)?|bleu|rouge[-\w]*|accuracy|score|points?|db|spl|success|geneval|fvd|is|cider|meteor|"
    r"chrf\+*|j&f|miou|iou|dice|em|wer|cer|epe|rmse|mae|loss|perplexity|[a-z]+\s?score)\b",
    re.IGNORECASE,
)
EQUALS_METRIC = re.compile(
    r"\b(?:f1|auc|gini|kappa|r|ρ|rho|r2|r\^2|accuracy|acc|psnr|ssim|fid|map|ap|spearman|pearson|"
    r"correlation|tau|τ|ndcg)\s*(?:=|:)\s*\$?$",
    re.IGNORECASE,
)
SELF_REFERENCE = re.compile(
    r"\b(?:we|our|ours|us|this (?:paper|work|study|report|article)|here,|propose[sd]?|introduce[sd]?|"
    r"present(?:s|ed)?)\b",
    re.IGNORECASE,
)
BACKGROUND = re.compile(
    r"^\W*(?:existing|prior|previous|conventional|traditional|current|most|many|recent|typically)\b",
    re.IGNORECASE,
)
OWN_RESULTS = re.compile(
    r"^\W*(?:experiments?|experimental|results?|extensive|evaluations?|empirical(?:ly)?|on\s|across\s|"
    r"compared|notably|specifically|in (?:addition|particular)|moreover|furthermore|finally)\b",
    re.IGNORECASE,
)
SENTENCE_START_WORDS = frozenset(
    [
        "on",
        "in",
        "with",
        "across",
        "over",
        "using",
        "trained",
        "only",
        "about",
        "nearly",
        "our",
        "we",
        "the",
        "a",
        "an",
        "at",
        "by",
        "for",
        "from",
        "to",
        "up",
        "of",
        "approximately",
        "just",
        "under",
        "below",
        "above",
        "more",
        "less",
        "all",
        "each",
        "both",
        "after",
        "before",
        "among",
        "compared",
        "among",
        "overall",
        "finally",
        "specifically",
        "notably",
        "moreover",
        "furthermore",
        "additionally",
        "remarkably",
        "importantly",
        "experiments",
        "results",
        "extensive",
        "evaluated",
        "evaluating",
        "applied",
        "when",
        "while",
        "despite",
        "through",
    ]
)
METRIC_NAMES = re.compile(
    r"^(?:f1|map|ap\d*|auc|fid|rfid|gfid|psnr|ssim|ms-ssim|recall|precision|ndcg(?:@\d+)?|bleu|rouge|"
    r"accuracy|score|spl|rtf|wer|cer|epe|rmse|mae|mse|kappa|gini|miou|iou|dice|cider|geneval|"
    r"imagereward|lpips|fvd|em|mrr|auroc|success|ipv|ctr|gmv|tc)$",
    re.IGNORECASE,
)

# Absolute units that fix the kind by themselves.
UNIT_KINDS = {
    "latency": re.compile(
        r"^(?:ms|s|sec|seconds?|minutes?|min|hours|days|weeks|µs|μs|us|ns|microseconds|milliseconds|"
        r"s/sample|s/image|ms/token|ms/image)$"
    ),
    "throughput": re.compile(
        r"^(?:TFLOPS|PFLOPS|TFLOP/s|GB/s|MB/s|TB/s|Gbps|Mbps|fps|FPS|frames per second|tokens per second|tokens/s|tok/s|samples/s|images/s|img/s|it/s)$"
    ),
    "memory": re.compile(r"^(?:GB|MB|KB|kB|TB|GiB|MiB|bpp)$"),
    "energy": re.compile(r"^(?:W|mW|kW|J|mJ|kJ|kWh|MWh|Wh)$"),
    "cost": re.compile(r"^(?:USD|dollars)$"),
    "compute": re.compile(r"^(?:TFLOPs|GFLOPs|GFLOPS|PFLOPs|FLOPs|GMACs|MACs|GPU hours|GPU-hours|GPU days)$"),
}
