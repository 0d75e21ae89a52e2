"""Publishing: what analysts read.

The snapshot (a checked copy of the live file, witnessed), time travel over it (--as-of,
--until), the Parquet export and the charts.
"""
