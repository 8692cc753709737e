"""Evaluation of stancewire predictions against gold data.

``stancewire.eval.scorer`` implements the scoring of docs/ANNOTATION.md section 7
as a small, model-free library so that the same numbers come out of the CLI, CI
and the training reports.
"""
