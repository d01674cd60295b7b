"""Training pipeline (torch + transformers): data, fine-tuning, evaluation, ONNX export,
quantisation and the promotion gate. Run as ``python -m train`` (its own process)."""
