"""Retrieval-quality evaluation: gold files, metrics, baselines, reports, plots and the CI quality gate.

Entry points: `rus eval --gold FILE ...` and `rus eval compare A.json B.json` (see eval/cli.py).
"""
