"""What-if stage: scenario overlays and `--set` paths (`overlays`), and the runner that plans
many scenarios, serially, in worker processes or on a Dask cluster (`runner`). Kept empty:
the CLI imports `planner.whatif.runner.start_early` before anything heavy."""
