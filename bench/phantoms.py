"""Phantom generator speed: single-core rate at 256², and a 2,000-image set written to disk."""

from __future__ import annotations

import tempfile
import time

from bench.common import table
from ra_models.synthetic.dataset import generate_dataset
from ra_models.synthetic.generator import make_phantom


def main(n_single: int = 200, n_set: int = 2000) -> str:
    make_phantom(0)
    t = time.perf_counter()
    for i in range(n_single):
        make_phantom(i, size=256)
    single = n_single / (time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        generate_dataset(d, n_set, seed=1, size=256)
        full = time.perf_counter() - t
    return table("Phantom generator", ["measure", "result", "goal"], [
        ["render rate, 256², one core (no disk)", f"{single:.1f} phantoms/s", "≥ 20/s"],
        [f"{n_set}-image set to disk (PNG + masks + manifest, all cores)", f"{full:.1f} s",
         "< 120 s"],
    ])


if __name__ == "__main__":
    main()
