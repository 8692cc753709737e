"""Benchmarks of stancewire: speed, memory and the naive baseline, measured in one run.

Run them all with ``python -m benchmarks`` (see ``benchmarks/README.md``); each
module can also be run on its own. Results go to ``benchmarks/results/`` (not in git).
"""
