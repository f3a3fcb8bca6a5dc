"""Deterministic stratified splits shared by the X-ray and clinical paths."""

from __future__ import annotations

import numpy as np


def stratified_split(labels, seed: int, fractions=(0.7, 0.15, 0.15)):
    """Indices (train, val, test), stratified by label, deterministic for a seed."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x53504C]))
    parts: list[list[int]] = [[], [], []]
    for y in np.unique(labels):
        idx = np.flatnonzero(labels == y)
        rng.shuffle(idx)
        n = len(idx)
        n_tr = int(round(fractions[0] * n))
        n_va = int(round(fractions[1] * n))
        parts[0] += idx[:n_tr].tolist()
        parts[1] += idx[n_tr: n_tr + n_va].tolist()
        parts[2] += idx[n_tr + n_va:].tolist()
    return tuple(np.array(sorted(p), np.int64) for p in parts)
