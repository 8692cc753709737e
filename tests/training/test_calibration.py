"""Held-out calibration: the sentiment lexicon stack's fit."""

from __future__ import annotations

import torch

from stancewire.training.calibration import expected_calibration_error, fit_lexicon_stack

LABELS = ["positive", "negative", "neutral"]
WORDS = {
    0: ["We are grateful for this wonderful help", "A great and happy day, thank you"],
    1: ["A horrific and criminal attack", "They are murderers and terrorists"],
    2: ["The committee met on Tuesday", "The convoy left the base at noon"],
}


def _rows(n_each: int) -> tuple[list[str], torch.Tensor]:
    texts, labels = [], []
    for label, options in WORDS.items():
        for i in range(n_each):
            texts.append(f"{options[i % 2]} ({i})")
            labels.append(label)
    return texts, torch.tensor(labels)


def test_the_stack_learns_what_the_lexicon_knows_and_the_head_does_not() -> None:
    texts, labels = _rows(10)
    # a head that knows nothing: the same log-probabilities for every row
    log_probs = torch.log(torch.full((len(texts), 3), 1 / 3))
    fitted = fit_lexicon_stack(log_probs, texts, labels, LABELS, seed=0)
    assert fitted is not None
    stack, held = fitted
    assert held.shape == (30, 3)
    assert torch.allclose(held.sum(1), torch.ones(30), atol=1e-5)
    # cross-validated: each row predicted by a stack fitted without it, and still right
    assert (held.argmax(1) == labels).float().mean() >= 0.9
    assert expected_calibration_error(held, labels) < 0.35
    refit = stack.probabilities(log_probs, texts)
    assert (refit.argmax(1) == labels).all()
    assert stack.c in (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def test_no_stack_when_a_label_has_fewer_than_two_rows() -> None:
    texts, labels = _rows(4)
    keep = [i for i, y in enumerate(labels.tolist()) if y != 2] + [8]
    sub = labels[keep]
    assert (sub == 2).sum() == 1
    log_probs = torch.zeros(len(keep), 3)
    assert fit_lexicon_stack(log_probs, [texts[i] for i in keep], sub, LABELS, seed=0) is None
