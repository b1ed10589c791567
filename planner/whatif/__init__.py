"""What-if stage: many variants of one scenario, planned and compared.

- `paths`, `overlays`: ``--set`` paths and values, what-if files merged onto a base;
- `variants`, `runner`: named merged scenarios, planned serially, in worker processes or
  on a Dask cluster;
- `compare`, `sweep`, `newhall`: the three questions, each a run function returning a
  typed result (`Comparison`, `Sweep`, `NewHall`) with its table and chart series;
- `tables`, `words`, `saturation`: the rows, the sentences and the new-hall verdicts,
  with solver noise as no difference.

Kept empty, so importing one module does not import the others.
"""
