"""Temperature scaling and expected calibration error.

A fine-tuned classifier is usually over-confident; dividing its logits by one
temperature per task, fitted on held-out data, fixes most of that without
changing any prediction (Guo et al., 2017). The confidences stancewire outputs
are these calibrated probabilities.

Sentiment can go one step further: :func:`fit_lexicon_stack` fits a logistic
regression over the head's scaled log-probabilities and VADER's scores of the
quote (:mod:`stancewire.models.lexicon`), which is calibrated by the same
held-out log-loss and also moves predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from stancewire.models.lexicon import LexiconStack, stack_features


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, *, max_iter: int = 200) -> float:
    """The temperature that minimises held-out negative log-likelihood.

    Args:
        logits: ``(n, k)`` raw scores.
        labels: ``(n,)`` gold class indices.

    Returns:
        A temperature in [0.05, 20]; 1.0 when there is nothing to fit on.
    """
    if logits.numel() == 0:
        return 1.0
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter)
    loss_fn = torch.nn.CrossEntropyLoss()
    logits = logits.detach().float().clone()

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = loss_fn(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.exp().clamp(0.05, 20.0).item())


def expected_calibration_error(
    probs: torch.Tensor, labels: torch.Tensor, *, bins: int = 10
) -> float:
    """ECE: the mean |accuracy - confidence| over equal-width confidence bins.

    Args:
        probs: ``(n, k)`` probabilities.
        labels: ``(n,)`` gold class indices.
        bins: number of equal-width bins over [0, 1].
    """
    if probs.numel() == 0:
        return 0.0
    conf, pred = probs.max(dim=1)
    correct = (pred == labels).float()
    edges = torch.linspace(0, 1, bins + 1)
    ece = torch.zeros(())
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.float().mean() * (correct[in_bin].mean() - conf[in_bin].mean()).abs()
    return float(ece)


LEXICON_CS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
"""Inverse regularisation strengths the lexicon stack's cross-validation chooses from."""


def fit_lexicon_stack(
    scaled_logits: torch.Tensor,
    texts: Sequence[str],
    labels: torch.Tensor,
    label_names: Sequence[str],
    *,
    seed: int,
    folds: int = 5,
) -> tuple[LexiconStack, torch.Tensor] | None:
    """Fit the sentiment head's stack with VADER's scores on held-out statements.

    The regularisation is chosen by ``folds``-fold cross-validated log-loss on
    the same rows, so nothing outside the held-out split is looked at.

    Args:
        scaled_logits: ``(n, k)`` the head's logits divided by its temperature.
        texts: the quotes' own words, one per row.
        labels: ``(n,)`` gold class indices.
        label_names: the ``k`` labels, in the head's order.
        seed: seed of the folds' shuffle.

    Returns:
        The stack (refitted on every row) and its cross-validated ``(n, k)``
        probabilities, each row predicted by a stack that did not see it: those
        are what its held-out ECE and macro-F1 are computed on. None when some
        label has fewer than two rows, too few to fit or cross-validate on.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = labels.numpy()
    counts = [int((y == k).sum()) for k in range(len(label_names))]
    if min(counts) < 2:
        return None
    x = stack_features(scaled_logits, texts).numpy()
    split = StratifiedKFold(n_splits=min(folds, min(counts)), shuffle=True, random_state=seed)
    best: tuple[float, float, Any] | None = None
    for c in LEXICON_CS:  # the same folds for every C: the choice compares like with like
        probs = cross_val_predict(
            LogisticRegression(C=c, max_iter=5000), x, y, cv=split, method="predict_proba"
        )
        loss = log_loss(y, probs, labels=list(range(len(label_names))))
        if best is None or loss < best[0]:
            best = (loss, c, probs)
    assert best is not None
    _, c, held_probs = best
    fitted = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    stack = LexiconStack(
        labels=list(label_names),
        coef=[[round(float(v), 6) for v in row] for row in fitted.coef_],
        intercept=[round(float(v), 6) for v in fitted.intercept_],
        c=c,
    )
    return stack, torch.from_numpy(held_probs).float()
