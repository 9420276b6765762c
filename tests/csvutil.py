"""Reading the service's CSV answers in tests: ``#`` comment lines (model, checks, warnings,
columns), then a header row with units, then the data."""

from __future__ import annotations

import csv
import io

import numpy as np


def parse_csv(text: str) -> tuple[list[list[str]], list[str], list[list[str]]]:
    """(comment rows without the ``# `` marker, header, data rows) of one of our CSV answers."""
    comments, table = [], []
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].startswith("#"):
            comments.append([row[0][1:].strip(), *row[1:]])
        else:
            table.append(row)
    return comments, table[0], table[1:]


def column(header: list[str], rows: list[list[str]], name: str) -> np.ndarray:
    j = header.index(name)
    return np.array([float(r[j]) for r in rows if r[j] != ""])
