"""Batch labelling at corpus scale: ``stancewire label`` and ``stancewire report``.

- :mod:`~stancewire.models.batch.runner`: the driver loop (``BatchJob`` -> ``run_batch``)
  and the local engine (in-process or worker processes);
- :mod:`~stancewire.models.batch.ray_engine`: the same chunks on Ray Data;
- :mod:`~stancewire.models.batch.worker`: the per-chunk work every engine runs;
- :mod:`~stancewire.models.batch.journal`: the crash-safe record store behind ``--resume``;
- :mod:`~stancewire.models.batch.formats`: JSONL, CSV and Parquet outputs;
- :mod:`~stancewire.models.batch.progress`: the progress bar;
- :mod:`~stancewire.models.batch.corpus`: the per-speaker corpus view.
"""
