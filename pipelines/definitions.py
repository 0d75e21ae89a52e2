from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """Everything under pipelines/defs/: sources, the log, projections, marts, the snapshot."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).resolve().parent)
