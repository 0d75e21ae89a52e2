"""Projections: core.* and marts.*, defined once each in warehouse/sql/, refreshed from the log.

The catalog and the refresh (refresh), each definition rendered per mode before DuckDB
binds it (rendering), the tables each table reads (lineage), and the data
dictionary rendered from a build (dictionary). Reads the log's tables, never its Python.
"""
