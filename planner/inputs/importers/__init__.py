"""Build served-model profiles from benchmark results the user downloaded.

- `inferencex`: InferenceX (formerly InferenceMAX) result rows (`agg_bmk.json`: a JSON
  array of one object per benchmark point; JSON lines and `{"data": [...]}` wrappers are
  accepted too). Metrics may sit at the top level of a row or under `metrics` (the
  public API's shape). Hardware keys are mapped to catalogue ids.
- `plain_csv`: a plain CSV of (system, interactivity, throughput).
- `profile`: what both share: the Pareto frontier each system keeps (the best published
  configuration at every interactivity), the profile built, and its YAML.

Nothing here touches the network.
"""
