"""How much the choice of metallicity interpolation matters off the SSP grid: DIGS mixes the
two bracketing BC03 grids linearly in log Z, bagpipes linearly in Z. Prints, per bracketing
pair of grids, the largest and rms relative difference of the pixel means (paper grid,
nebular emission on) at the log-midpoint between the grids, over ages and τ across the prior.

    python Tests/benchmarks/metallicity_interpolation.py
"""
import itertools
import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))
from forward_reference import RawGrids  # noqa: E402

grids = RawGrids()
edges = 3060.0 + 50.0 * (np.arange(139) - 0.5)
log_grid = np.log10(grids.metallicity)
print("bracketing Z/Zsun   log Z (midpoint)   linear-Z weight   max |Δ|   rms Δ")
for i in range(len(log_grid) - 1):
    if log_grid[i + 1] < -2.0 or log_grid[i] > 0.2:
        continue  # outside the prior
    log_z = 0.5 * (log_grid[i] + log_grid[i + 1])
    w_linear = (10 ** log_z - grids.metallicity[i]) / (grids.metallicity[i + 1] - grids.metallicity[i])
    differences = []
    for age, log_tau in itertools.product([0.05, 0.3, 1.0, 3.9], [-1.0, 0.0, 1.0]):
        theta = (10.0, age, log_tau, log_z, 0.5)
        ours = grids.pixel_means(theta, edges)
        theirs = grids.pixel_means(theta, edges, metallicity_interpolation="linear")
        differences.append(ours / theirs - 1)
    d = np.abs(np.array(differences))
    print(f"{grids.metallicity[i]:.3f}–{grids.metallicity[i + 1]:.3f}        {log_z:+.3f}             "
          f"{w_linear:.3f}             {100 * d.max():.2f} %    {100 * math.sqrt((d ** 2).mean()):.2f} %")
