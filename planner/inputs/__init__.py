"""Inputs stage: schemas, file loading, safe YAML, the demand CSV, periods, importers and
cross-file validation. Depends only on the base modules (`planner.errors`, `planner.gcpause`)."""
