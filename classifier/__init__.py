"""Emotion classifier served through ONNX Runtime on the CPU.

A leaf library: onnxruntime, tokenizers and numpy only. Never import torch or transformers here.

    >>> import classifier
    >>> model = classifier.load("models/goemotions-minilm-int8")
    >>> model.predict(["I can't believe this worked, thank you!"])[0].label
    'gratitude'
"""

from classifier.artifact import ModelLoadError
from classifier.prediction import Prediction
from classifier.runtime import EmotionClassifier, load
from classifier.scheme import LabelScheme

__all__ = ["EmotionClassifier", "LabelScheme", "ModelLoadError", "Prediction", "load"]
