"""Benchmark: DIGS `simulate` against bagpipes 1.3.6 on the same machine, same run.

Prints spectra per second of `digs benchmark simulate` (in memory, 2 threads and 1 thread)
and bagpipes' per-spectrum `model_galaxy.update()` time for the same forward model
(delayed-τ, Calzetti dust, nebular log U = −2, σ = 350 km/s, 138 pixels), and the ratios.
Usage: python simulate_vs_bagpipes.py SSP_LIBRARY.h5 [N_BAGPIPES]
"""
import json
import os
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from digs_cli import digs  # noqa: E402


def bagpipes_seconds_per_spectrum(n):
    rng = np.random.default_rng(1)
    wavelength = 3060.0 + 50.0 * np.arange(138)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.chdir(tmp)
        import bagpipes as pipes
        model, times = None, []
        for _ in range(n + 1):
            c = {"redshift": 0.0, "veldisp": 350.0,
                 "delayed": {"age": rng.uniform(0.01, 4), "tau": 10 ** rng.uniform(-1, 1),
                             "massformed": rng.uniform(8, 13), "metallicity": 10 ** rng.uniform(-2, 0.2)},
                 "dust": {"type": "Calzetti", "Av": 1.086 * rng.uniform(0.1, 1)}, "nebular": {"logU": -2.0}}
            if model is None:
                model = pipes.model_galaxy(c, spec_wavs=wavelength)  # one-time grid loading, not timed
                continue
            t0 = time.perf_counter()
            model.update(c)
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    ssp = sys.argv[1]
    n_bagpipes = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    ours = {t: json.loads(digs("benchmark", "simulate", "--ssp", ssp, "--threads", t, "--json").stdout) for t in (2, 1)}
    theirs = bagpipes_seconds_per_spectrum(n_bagpipes)
    print(f"{'tool':<28}{'spectra/s':>14}{'µs/spectrum':>14}{'× bagpipes':>12}")
    print(f"{'bagpipes 1.3.6 (1 core)':<28}{1 / theirs:>14.0f}{1e6 * theirs:>14.1f}{1:>12.0f}")
    for t in (1, 2):
        r = ours[t]
        rate = r["spectra"] / r["seconds"]
        label = f"DIGS simulate ({t} thread{'s' if t > 1 else ''})"
        print(f"{label:<28}{rate:>14.0f}{1e6 / rate:>14.2f}{rate * theirs:>12.0f}")


if __name__ == "__main__":
    main()
