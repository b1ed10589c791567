"""Inputs stage: schemas, file loading, safe YAML, the demand CSV, periods, importers and
cross-file validation. Depends only on the base modules (`planner.errors`, `planner.fmt`,
`planner.gcpause`); the modules' own order is an import-linter contract (pyproject.toml)."""
