"""Output stage: spreadsheet-safe CSV cells, atomic writes, and the plan files' names."""
