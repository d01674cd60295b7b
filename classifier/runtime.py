"""ONNX Runtime inference: tokenise, batch, run, turn logits into :class:`Prediction`.

Long texts: a text longer than the model's window (``max_length`` tokens, 128 for the shipped
model) is cut into overlapping windows and the window probabilities are averaged (note
``"long"``); beyond :data:`MAX_WINDOWS` windows, that many evenly spaced windows are used.
Empty input (after dropping code, links and invalid characters) gets the neutral answer
(note ``"empty"``) without running the model.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from classifier.artifact import ModelArtifact, ModelLoadError, read_artifact
from classifier.prediction import Prediction
from classifier.readable import unread_reason, whole_words
from classifier.scheme import LabelScheme
from classifier.textprep import prepare

logger = logging.getLogger(__name__)

MAX_WINDOWS = 16
DEFAULT_BATCH = 32


def _session_options(threads: int) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    # 0 means one thread per CPU: stated explicitly because ORT's own default measured slower here.
    options.intra_op_num_threads = threads if threads > 0 else min(os.cpu_count() or 1, 8)
    # Smaller work blocks for the thread pool: chat messages are short, and this measured about
    # 8% faster per message on 2 cores (ORT session option session.dynamic_block_base).
    options.add_session_config_entry("session.dynamic_block_base", "4")
    options.log_severity_level = 3
    return options


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-logits.reshape(-1)))).astype(np.float32)


@dataclass
class _Batch:
    """What one ``_probabilities`` call found, row per text."""

    probs: np.ndarray
    distress: np.ndarray
    embeddings: np.ndarray
    notes: list[str | None]
    empty: list[bool]


class EmotionClassifier:
    """A loaded model. Build it with :func:`load`; ``predict`` is thread-safe."""

    def __init__(
        self,
        *,
        artifact: ModelArtifact,
        session: ort.InferenceSession,
        tokenizer: Tokenizer,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        self.artifact = artifact
        self._session = session
        self._tokenizer = tokenizer
        self._batch_size = max(1, batch_size)
        self._inputs = [i.name for i in session.get_inputs()]
        outputs = [o.name for o in session.get_outputs()]
        # Multi-head models (train.heads): emotion logits, distress logit, sentence embedding.
        self.has_distress = "distress_logit" in outputs and "embedding" in outputs
        self._output_names = (
            ["logits", "distress_logit", "embedding"] if self.has_distress else [outputs[0]]
        )
        width = session.get_outputs()[2].shape[-1] if self.has_distress else 0
        self._embedding_width = width if isinstance(width, int) else 0
        vocabulary = tokenizer.get_vocab()
        self._vocab = frozenset(t for t in vocabulary if len(t) == 1)
        self._words = whole_words(vocabulary)
        cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        if cls is None or sep is None:
            raise ModelLoadError(artifact.folder, "tokenizer.json has no [CLS]/[SEP] tokens")
        self._cls: int = cls
        self._sep: int = sep
        self._pad: int = tokenizer.token_to_id("[PAD]") or 0
        labels = artifact.scheme.labels
        # float32, as the scores are, so a score equal to its threshold counts as over it.
        self._threshold_list = np.array(
            [artifact.thresholds[label] for label in labels], np.float32
        ).tolist()

    # --- public surface -------------------------------------------------------------------------

    @property
    def scheme(self) -> LabelScheme:
        return self.artifact.scheme

    @property
    def version(self) -> str:
        return self.artifact.version

    @property
    def thresholds(self) -> dict[str, float]:
        return self.artifact.thresholds

    @property
    def folder(self) -> Path:
        return self.artifact.folder

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify texts (any length, any content); one :class:`Prediction` per text, in order."""
        if isinstance(texts, str):
            raise TypeError("predict() takes a sequence of texts; wrap a single text in a list")
        result = self._probabilities(texts)
        if not self.has_distress:
            return [
                self._to_prediction(p, note)
                for p, note in zip(result.probs, result.notes, strict=True)
            ]
        return [
            self._to_prediction(
                result.probs[i],
                result.notes[i],
                None if result.empty[i] else float(result.distress[i]),
                None if result.empty[i] else result.embeddings[i],
            )
            for i in range(len(texts))
        ]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities as an (n, labels) array (evaluation and benchmarks)."""
        return self._probabilities(texts).probs

    def distress_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Distress probabilities as an (n,) array (0 for empty texts); needs a distress head."""
        if not self.has_distress:
            raise ModelLoadError(self.folder, "this model has no distress head")
        return self._probabilities(texts).distress

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised sentence embeddings, (n, dim); zero rows for empty texts."""
        if not self.has_distress:
            raise ModelLoadError(self.folder, "this model has no embedding output")
        return self._probabilities(texts).embeddings

    # --- internals ------------------------------------------------------------------------------

    def _window_ids(self, text: str) -> tuple[list[list[int]], str | None]:
        body = self._tokenizer.encode(text, add_special_tokens=False).ids
        width = self.artifact.max_length - 2
        if len(body) <= width:
            return [[self._cls, *body, self._sep]], None
        stride = width * 3 // 4
        starts = list(range(0, len(body) - width + stride, stride))
        starts = [min(s, len(body) - width) for s in starts]
        if len(starts) > MAX_WINDOWS:
            pick = np.linspace(0, len(starts) - 1, MAX_WINDOWS).round().astype(int)
            starts = [starts[i] for i in pick]
        return [[self._cls, *body[s : s + width], self._sep] for s in dict.fromkeys(starts)], "long"

    def _probabilities(self, texts: Sequence[str]) -> _Batch:
        k = len(self.scheme.labels)
        out = _Batch(
            probs=np.zeros((len(texts), k), dtype=np.float32),
            distress=np.zeros(len(texts), dtype=np.float32),
            embeddings=np.zeros((len(texts), self._embedding_width), dtype=np.float32),
            notes=[None] * len(texts),
            empty=[False] * len(texts),
        )
        sequences: list[list[int]] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            prepared = prepare(text, self._vocab)
            if not prepared.text:
                out.probs[i] = self._empty_scores()
                out.notes[i] = "empty"
                out.empty[i] = True
                continue
            if unread_reason(prepared.text, self._words):
                # Not English (another script or language): no mood is made up for it.
                out.probs[i] = self._empty_scores()
                out.notes[i] = "unread"
                out.empty[i] = True
                continue
            windows, note = self._window_ids(prepared.text)
            out.notes[i] = note or ("invalid_text" if prepared.invalid else None)
            sequences.extend(windows)
            owner.extend([i] * len(windows))
        if not sequences:
            return out
        probs, distress, embeddings = self._run(sequences)
        if len(sequences) == len(set(owner)):  # one window per text: the usual case
            out.probs[owner] = probs
            if distress is not None and embeddings is not None:
                out.distress[owner] = distress
                out.embeddings[owner] = embeddings
            return out
        # Long texts: emotions are the mean of their windows; risk is the riskiest window's
        # (one sentence can carry it), with that window's embedding.
        owners = np.asarray(owner)
        counts = np.bincount(owners, minlength=len(texts)).astype(np.float32)
        np.add.at(out.probs, owners, probs)
        used = counts > 0
        out.probs[used] /= counts[used, None]
        if distress is not None and embeddings is not None:
            out.distress[:] = -1.0
            for row, i in enumerate(owner):
                if distress[row] > out.distress[i]:
                    out.distress[i] = distress[row]
                    out.embeddings[i] = embeddings[row]
            out.distress[out.distress < 0] = 0.0
        return out

    def _run(
        self, sequences: list[list[int]]
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Probabilities per sequence, and the distress probability and embedding when present."""
        if len(sequences) == 1:
            # One chat message as it arrives: no sorting, no padding (about 20 us of numpy
            # bookkeeping saved next to a 1-2 ms model).
            ids = np.array(sequences, dtype=np.int64)
            outputs = self._outputs(ids, np.ones_like(ids))
            probs = self._activate(outputs[0])
            if not self.has_distress:
                return probs, None, None
            return probs, _sigmoid(outputs[1]), outputs[2]
        order = np.argsort([len(s) for s in sequences], kind="stable")
        probs = np.zeros((len(sequences), len(self.scheme.labels)), dtype=np.float32)
        distress = np.zeros(len(sequences), dtype=np.float32) if self.has_distress else None
        embeddings = (
            np.zeros((len(sequences), self._embedding_width), dtype=np.float32)
            if self.has_distress
            else None
        )
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            width = max(len(sequences[i]) for i in batch)
            ids = np.full((len(batch), width), self._pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                seq = sequences[i]
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            outputs = self._outputs(ids, mask)
            probs[batch] = self._activate(outputs[0])
            if distress is not None and embeddings is not None:
                distress[batch] = _sigmoid(outputs[1])
                embeddings[batch] = outputs[2]
        return probs, distress, embeddings

    def _outputs(self, ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        outputs = self._session.run(self._output_names, {n: feed[n] for n in self._inputs})
        return [np.asarray(o, dtype=np.float32) for o in outputs]

    def _activate(self, logits: np.ndarray) -> np.ndarray:
        if self.scheme.multi_label:
            return 1.0 / (1.0 + np.exp(-logits))
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def _empty_scores(self) -> np.ndarray:
        """Neutral certainty when the scheme has a neutral label, else a uniform distribution."""
        labels = self.scheme.labels
        neutral = self.scheme.labels_in("neutral")
        if neutral:
            scores = np.zeros(len(labels), dtype=np.float32)
            scores[labels.index(neutral[0])] = 1.0
            return scores
        return np.full(len(labels), 1.0 / len(labels), dtype=np.float32)

    def _to_prediction(
        self,
        probs: np.ndarray,
        note: str | None,
        distress: float | None = None,
        embedding: np.ndarray | None = None,
    ) -> Prediction:
        # Plain Python over a list: for 6-28 labels it beats numpy's per-call overhead.
        labels = self.scheme.labels
        values = probs.tolist()
        top = max(range(len(values)), key=values.__getitem__)
        if self.scheme.multi_label:
            pairs = enumerate(zip(values, self._threshold_list, strict=True))
            over = [j for j, (p, t) in pairs if p >= t]
            over.sort(key=lambda j: -values[j])  # stable: ties keep label order
            chosen = tuple(labels[j] for j in over) or (labels[top],)
        else:
            chosen = (labels[top],)
        return Prediction(
            label=labels[top],
            scores=dict(zip(labels, values, strict=True)),
            labels=chosen,
            model_version=self.version,
            note=note,
            distress=distress,
            embedding=embedding,
        )


def load(
    model_dir: str | Path, *, threads: int = 0, batch_size: int = DEFAULT_BATCH
) -> EmotionClassifier:
    """Load a model folder once. ``threads`` = ONNX Runtime intra-op threads (0: all cores).

    Raises :class:`ModelLoadError` naming the folder and the problem when it cannot be used.
    """
    artifact = read_artifact(model_dir)
    try:
        tokenizer = Tokenizer.from_file(str(artifact.tokenizer_path))
    except Exception as exc:  # tokenizers raises plain Exception subclasses
        raise ModelLoadError(artifact.folder, f"tokenizer.json cannot be loaded ({exc})") from exc
    tokenizer.no_padding()
    tokenizer.no_truncation()
    try:
        session = ort.InferenceSession(
            str(artifact.model_path), _session_options(threads), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ModelLoadError(artifact.folder, f"model.onnx cannot be loaded ({exc})") from exc
    outputs = session.get_outputs()
    width = outputs[0].shape[-1] if outputs else None
    if isinstance(width, int) and width != len(artifact.scheme.labels):
        raise ModelLoadError(
            artifact.folder,
            f"model.onnx outputs {width} scores but labels.json lists "
            f"{len(artifact.scheme.labels)} labels",
        )
    logger.info("loaded model %s from %s", artifact.version, artifact.folder)
    return EmotionClassifier(
        artifact=artifact, session=session, tokenizer=tokenizer, batch_size=batch_size
    )
