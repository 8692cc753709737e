"""Temperature scaling and expected calibration error.

A fine-tuned classifier is usually over-confident; dividing its logits by one
temperature per task, fitted on held-out data, fixes most of that without
changing any prediction (Guo et al., 2017). The confidences stancewire outputs
are these calibrated probabilities.
"""

from __future__ import annotations

import torch


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
