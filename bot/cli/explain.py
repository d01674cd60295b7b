"""``emotion-bot explain TEXT``: which words made the model give its answer.

Prints the words with their contribution, strongest first (``--json``: one JSON object), and
with ``--png FILE`` writes the bar chart (:mod:`bot.charts.explanation`). Nothing is stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.modelstore.loader import load_or_exit
from classifier.explain import DEFAULT_SAMPLES, MAX_WORDS, explain


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="which words made the model say so (word attributions)")
    p.add_argument("text", nargs="*", metavar="TEXT", help="the message (default: read stdin)")
    p.add_argument("--emotion", help="explain this label (default: the model's top label)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--png", type=Path, metavar="FILE", help="also write the bar chart here")
    p.add_argument("--model", type=Path, help="model folder (default: settings' MODEL_DIR)")
    p.add_argument("--top", type=int, default=15, help="words to show (text and chart)")
    p.add_argument(
        "--max-words",
        type=int,
        default=MAX_WORDS,
        help="explain at most this many words; a longer text is cut after them",
    )
    p.add_argument(
        "--samples",
        type=int,
        default=DEFAULT_SAMPLES,
        help="random multi-word variants to refine leave-one-out with (0: off)",
    )
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0: all cores)")
    p.set_defaults(func=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    text = " ".join(args.text) if args.text else sys.stdin.read().strip()
    if args.max_words < 1:
        print("error: --max-words must be at least 1", file=sys.stderr)
        return 2
    model = load_or_exit(args.model, args.threads)
    try:
        result = explain(model, text, args.emotion, max_words=args.max_words, samples=args.samples)
    except ValueError as exc:  # an emotion this model does not have
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.png:
        from bot.charts.explanation import render_explanation_png  # deferred: matplotlib

        try:  # a missing folder is made; one that cannot be written is one line
            args.png.parent.mkdir(parents=True, exist_ok=True)
            args.png.write_bytes(render_explanation_png(result, top=args.top))
        except OSError as exc:
            print(f"error: cannot write --png {args.png}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if args.json:
        data = result.to_dict()
        if args.png:
            data["png"] = str(args.png)
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print(format_text(result, args.top))
    if args.png:
        print(f"chart written to {args.png}")
    return 0


def format_text(result: Any, top: int) -> str:
    """The plain-text answer: the emotion and its score, then one line per word."""
    head = f"{result.emotion} {result.base_score:.2f}"
    if result.label != result.emotion:
        head += f" (top label: {result.label} {result.scores.get(result.label, 0.0):.2f})"
    lines = [f"{head}   [model {result.model_version}, {result.method}]"]
    if result.note == "empty":
        lines.append("nothing to explain: the model reads no words in this text")
    elif result.note == "cut":
        lines.append(
            f"only the first {len(result.words)} of {result.words_total} words "
            "were explained (the text was cut after them)"
        )
    width = max((len(w.word) for w in result.words[:top]), default=0)
    width = min(width, 30)
    for w in result.words[:top]:
        word = w.word if len(w.word) <= 30 else w.word[:29] + "…"
        lines.append(f"  {w.contribution:+.3f}  {word:<{width}}  [{w.start}:{w.end}]")
    hidden = len(result.words) - top
    if hidden > 0:
        lines.append(f"  … {hidden} weaker words")
    return "\n".join(lines)
