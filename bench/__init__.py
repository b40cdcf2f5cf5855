"""Docshelf's benchmarks (issue 7): every figure is a ratio against a baseline measured in the same run.

``python -m bench`` runs them all; see :mod:`bench.__main__` and the README's Benchmarks section.
Each figure is a function ``figure_N(env, options) -> dict`` returning its measurements, its baseline,
the ratio, the aim and a verdict, so the runner can print one table and write one JSON file.
"""
