"""airace pipelines: Dagster definitions and the source connectors."""
