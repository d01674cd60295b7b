"""``emotion-bot bench explain``: are the word explanations faithful, and are they fast?

Faithfulness (the perturbation test): for each of ``--n`` dair-ai/emotion test sentences (the
first ones, in file order, with more than ``--k`` and at most ``MAX_WORDS`` words), explain the
model's top emotion, then delete k words (k = 1..K, the same deletion the explanation uses)
and measure how much the probability of that emotion drops:

* ``top``: the k words with the highest contribution first (most important first);
* ``random``: k random words (seeded; the mean of ``--draws`` draws per sentence and k);
* ``reverse``: the k words with the lowest contribution first (least important first).

A faithful explanation gives ``top`` far above ``random`` and ``reverse`` below it. Reported:
the three mean curves, ``area_top`` = Σ_k (top_k − random_k) and ``area_reverse`` =
Σ_k (random_k − reverse_k) (both in probability × k units, higher is better), each with a 95%
interval over sentences; and the same for the refined explanation (``--samples`` > 0).

Latency: one explanation of a 20-word message, ``--runs`` times after a warm-up (p50/p90).

Ends with one JSON line (only that line with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import time
from typing import Any

import numpy as np

from bot.modelstore.loader import load_or_exit
from classifier.explain import MAX_WORDS, explain
from classifier.explain_words import drop, word_spans

logger = logging.getLogger(__name__)

LATENCY_TARGET_MS = 50.0
FALLBACK_20 = (
    "honestly I am so tired of this build failing again and again, I really thought we fixed it "
    "yesterday"
)


def _curves(
    model: Any,
    text: str,
    contributions: dict[str, np.ndarray],
    k_max: int,
    draws: int,
    rng: random.Random,
) -> dict[str, np.ndarray]:
    """Probability drops (k = 1..k_max) for each method's top/reverse order and for random."""

    spans = word_spans(text)
    n = len(spans)
    variants = [text]
    plan: list[tuple[str, int]] = []
    for method, contrib in contributions.items():
        top = list(np.argsort(-contrib, kind="stable"))
        rev = list(np.argsort(contrib, kind="stable"))
        for k in range(1, k_max + 1):
            variants += [drop(text, spans, top[:k]), drop(text, spans, rev[:k])]
            plan += [(f"{method}:top", k), (f"{method}:reverse", k)]
    for k in range(1, k_max + 1):
        for _ in range(draws):
            variants.append(drop(text, spans, rng.sample(range(n), k)))
            plan.append(("random", k))
    scores = model.scores(variants)
    column = int(scores[0].argmax())
    drops = scores[0, column] - scores[1:, column]
    out: dict[str, np.ndarray] = {}
    for (name, k), value in zip(plan, drops, strict=True):
        out.setdefault(name, np.zeros(k_max))
        out[name][k - 1] += value / (draws if name == "random" else 1)
    return out


def _interval(values: list[float]) -> list[float]:
    mean = statistics.fmean(values)
    half = 1.96 * statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return [round(mean - half, 4), round(mean + half, 4)]


def faithfulness(
    model: Any, texts: list[str], *, k_max: int, draws: int, samples: int, seed: int
) -> dict[str, Any]:
    """The perturbation test over ``texts`` (see the module doc)."""
    rng = random.Random(seed)
    methods = {"occlusion": 0, **({"sampled": samples} if samples > 0 else {})}
    per: dict[str, list[np.ndarray]] = {}
    for text in texts:
        contributions = {}
        for method, n_samples in methods.items():
            result = explain(model, text, samples=n_samples)
            by_start = {w.start: w.contribution for w in result.words}
            contributions[method] = np.array([by_start[w] for w in sorted(by_start)])
        for name, curve in _curves(model, text, contributions, k_max, draws, rng).items():
            per.setdefault(name, []).append(curve)
    random_ = np.stack(per["random"])
    report: dict[str, Any] = {"random": [round(float(v), 4) for v in random_.mean(axis=0)]}
    for method in methods:
        top = np.stack(per[f"{method}:top"])
        rev = np.stack(per[f"{method}:reverse"])
        area_top = (top - random_).sum(axis=1).tolist()
        area_rev = (random_ - rev).sum(axis=1).tolist()
        report[method] = {
            "top": [round(float(v), 4) for v in top.mean(axis=0)],
            "reverse": [round(float(v), 4) for v in rev.mean(axis=0)],
            "area_top": round(statistics.fmean(area_top), 4),
            "area_top_ci95": _interval(area_top),
            "area_reverse": round(statistics.fmean(area_rev), 4),
            "area_reverse_ci95": _interval(area_rev),
            "top1_beats_random_share": round(float((top[:, 0] > random_[:, 0]).mean()), 4),
        }
    return report


def latency(model: Any, text: str, runs: int, samples: int = 0) -> dict[str, float]:
    """p50/p90 milliseconds of one ``explain`` call on ``text`` (after a warm-up)."""
    for _ in range(5):
        explain(model, text, samples=samples)
    times = []
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        explain(model, text, samples=samples)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[min(len(times) - 1, int(0.9 * len(times)))], 2),
    }


def cmd_bench_explain(args: argparse.Namespace) -> int:
    from train.data import DataError, load_split  # deferred: train is the optional [train] extra

    try:
        split = load_split(args.data, args.split)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    model = load_or_exit(args.model, args.threads)
    # more words than k (so that masking k never empties the text) and not cut by explain()
    eligible = [t for t in split.texts if args.k < len(word_spans(t)) <= MAX_WORDS]
    texts = eligible[: args.n]
    message = next((t for t in split.texts if len(word_spans(t)) == 20), FALLBACK_20)
    started = time.perf_counter()
    report = faithfulness(
        model, texts, k_max=args.k, draws=args.draws, samples=args.samples, seed=args.seed
    )
    faith_s = time.perf_counter() - started
    lat = latency(model, message, args.runs)
    lat_sampled = (
        latency(model, message, max(1, args.runs // 4), args.samples) if args.samples else None
    )
    summary: dict[str, Any] = {
        "bench": "explain",
        "model_version": model.version,
        "data": str(args.data),
        "sentences": len(texts),
        "skipped": len(split.texts) - len(eligible),  # k words or fewer, or over MAX_WORDS
        "k": list(range(1, args.k + 1)),
        "draws": args.draws,
        "samples": args.samples,
        **report,
        "latency_20_words": {
            **lat,
            "words": len(word_spans(message)),
            "target_ms": LATENCY_TARGET_MS,
            "ok": lat["p50_ms"] < LATENCY_TARGET_MS,
        },
        "latency_20_words_sampled": lat_sampled,
        "threads": args.threads,
        "faithfulness_s": round(faith_s, 1),
    }
    if not args.json:
        _print_table(summary)
    print(json.dumps(summary))
    return 0


def _print_table(s: dict[str, Any]) -> None:
    ks = s["k"]
    print(
        f"model {s['model_version']}: {s['sentences']} sentences, k = 1..{ks[-1]}, "
        f"drop in the predicted emotion's probability"
    )
    print(f"{'':<22}" + "".join(f"{'k=' + str(k):>8}" for k in ks))
    print(f"{'random':<22}" + "".join(f"{v:>8.3f}" for v in s["random"]))
    for method in ("occlusion", "sampled"):
        if method not in s:
            continue
        r = s[method]
        print(f"{method + ' top first':<22}" + "".join(f"{v:>8.3f}" for v in r["top"]))
        print(f"{method + ' least first':<22}" + "".join(f"{v:>8.3f}" for v in r["reverse"]))
        print(
            f"  {method}: area top-random {r['area_top']:.3f} {r['area_top_ci95']}, "
            f"area random-reverse {r['area_reverse']:.3f} {r['area_reverse_ci95']}"
        )
    lat = s["latency_20_words"]
    print(
        f"latency, {lat['words']}-word message: p50 {lat['p50_ms']} ms, p90 {lat['p90_ms']} ms "
        f"(target < {lat['target_ms']:.0f} ms: {'ok' if lat['ok'] else 'MISSED'})"
    )
    if s.get("latency_20_words_sampled"):
        ls = s["latency_20_words_sampled"]
        print(f"latency with {s['samples']} samples: p50 {ls['p50_ms']} ms, p90 {ls['p90_ms']} ms")
