"""Training and evaluation of nlp's models; the runtime pipeline never imports this package.

``train_category`` and ``train_sentiment`` write a model directory (arrays, ``model.json``,
``card.json`` and ``MODEL_CARD.md``) from the shared corpora or from a CSV of one's own;
``evaluate_category`` and ``evaluate_sentiment`` measure a stored model on a labelled CSV;
``retrain_model`` trains a challenger on the shipped corpora plus a deployment's own labels and
``evaluate_examples`` measures a model on such labels (the application's model registry).
``python -m nlp train ...`` and ``python -m nlp evaluate ...`` call them. Keeping them apart
means a worker that only analyses loads none of the training code (cross-validation, corpus
readers, card writers).
"""

from __future__ import annotations

from nlp.train.category import evaluate_category, train_category
from nlp.train.retrain import evaluate_examples, retrain_model
from nlp.train.sentiment import evaluate_sentiment, train_sentiment

__all__ = [
    "evaluate_category",
    "evaluate_examples",
    "evaluate_sentiment",
    "retrain_model",
    "train_category",
    "train_sentiment",
]
