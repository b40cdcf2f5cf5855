"""The data generation: one row whose counter every committed write moves, in the write's own
transaction (:mod:`app.freshness`), so a cache keyed on it can never outlive what it shows."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, Table

from app.extensions import db

data_generation = Table(
    "data_generation",
    db.metadata,
    Column("id", Integer, primary_key=True),  # always 1: one row
    Column("value", BigInteger, nullable=False),
)
