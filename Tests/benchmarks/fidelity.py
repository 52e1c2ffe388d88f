"""Posterior fidelity of a pipeline's flow, galaxy by galaxy and on average (`make fidelity`).

    python Tests/benchmarks/fidelity.py PIPELINE.yaml [--galaxies 100] [--calibration 10000] [--digs BIN]

Needs the pipeline's products up to `infer` (`digs run PIPELINE --until infer`; run here when
missing). Prints, against the targets of the posterior-fidelity issue:

1. Against the converged reference MCMC (`digs mcmc`, reference schedule) on the first G test
   galaxies: per parameter the median and 90th percentile over galaxies of the 68 % width ratio
   NPE/MCMC and the mean |median offset| in σ_MCMC — over the galaxies whose chains converged
   (≥ 50 τ, split-R̂ ≤ 1.01), with their number.
2. The flow alone against the exact posterior on every test galaxy, without MCMC: the
   importance-sampling ESS/N that `digs infer` stores (median, and the value 90 % of galaxies
   reach).
3. NLTP on the test set (from `digs sbc`).
4. Calibration on N fresh test galaxies (`--set fidelity`, seed + 1): coverage error of every
   parameter and of the joint HPD region, SBC KS p.

Products of the check go to <output>/ as 09_mcmc_fidelity100.h5 (G galaxies) and
0*_fidelity.h5; existing ones are reused (delete them to redo). A variant flow on the same
observations: `--no-run --mcmc <the reference chains>`.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pipeline", type=Path)
    ap.add_argument("--galaxies", type=int, default=100, help="test galaxies fitted by MCMC (default 100)")
    ap.add_argument("--calibration", type=int, default=0, help="fresh test galaxies for calibration (default 0: skip; make fidelity uses 10000)")
    ap.add_argument("--digs", default=str(ROOT / ".build/release/digs"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mcmc", type=Path, help="reference chains to reuse (a variant flow on the same observations)")
    ap.add_argument("--no-run", action="store_true", help="do not run the pipeline first (its products exist)")
    a = ap.parse_args()

    def digs(*args):
        cmd = [a.digs, *map(str, args)]
        print("$", " ".join(cmd[1:]), file=sys.stderr, flush=True)
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT).stdout

    config = yaml.safe_load(a.pipeline.read_text())
    out = ROOT / config.get("output", "products/quickstart")
    seed = int(config.get("seed", 0))
    c = ["-c", a.pipeline, "--threads", a.threads]
    if not a.no_run:
        digs("run", a.pipeline, "--until", "sbc")

    mcmc = a.mcmc or out / f"09_mcmc_fidelity{a.galaxies}.h5"
    if not mcmc.exists():
        digs("mcmc", *c, "--schedule", "reference", "--galaxies", *range(a.galaxies), "-o", mcmc)
    rows = json.loads(digs("compare", "-c", a.pipeline, "--mcmc", mcmc, "--json"))["rows"]
    with h5py.File(mcmc, "r") as m:
        names = [str(n) for n in m.attrs["parameter_names"]]
        converged = m["converged"][()].astype(bool)
        seconds = m["timing/seconds"][()]
        tau, rhat = m["autocorr_time"][()], m["split_rhat"][()]
        steps = int(m.attrs.get("production_steps", m["chains"].shape[1]))
        missed = m["missed_log_prob"][()] if "missed_log_prob" in m else np.zeros(len(converged))
    ids_ok = {r["id"] for r in rows if r["converged"]}
    print(f"\nPosterior fidelity of {a.pipeline} ({out})")
    print(f"1. NPE vs the reference MCMC on the first {a.galaxies} test galaxies: {converged.sum()} converged "
          f"(production {steps} steps = {np.min(steps / tau.max(axis=1)):.0f}–{np.max(steps / tau.max(axis=1)):.0f} τ, "
          f"split-R̂ ≤ {rhat.max():.3f}; {np.mean(seconds):.1f} s per galaxy on one core); "
          f"{(missed > 2).sum()} miss the main mode by > 2 nats (largest {missed.max():.1f})")
    print("   parameter      width ratio median  (0.95–1.08)   p90 (≤ 1.3)   mean |offset|/σ (≤ 0.15)")
    for name in names:
        r = [x for x in rows if x["parameter"] == name and x["id"] in ids_ok]
        ratio = np.array([x["widthRatio"] for x in r])
        offset = np.abs([x["medianOffset"] for x in r])
        med, p90, off = np.median(ratio), np.percentile(ratio, 90), offset.mean()
        print(f"   {name:12s}   {med:6.3f} {mark(0.95 <= med <= 1.08):>6s}              {p90:6.3f} {mark(p90 <= 1.3):>5s}"
              f"     {off:6.3f} {mark(off <= 0.15):>5s}")

    # The same comparison for the flow's samples weighed by the exact posterior (the importance
    # samples infer stores: the first S draws and their log weights), as weighted percentiles.
    with h5py.File(mcmc, "r") as m, h5py.File(out / "07_posterior_test.h5", "r") as p:
        logw = p["importance/log_weight"]
        s_is = logw.shape[1]
        offsets, ratios = [], []
        for k, gi in enumerate(m["galaxy_index"][()]):
            if not converged[k]:
                continue
            ref = m["chains"][k].reshape(-1, len(names)).astype(np.float64)
            lo, med, hi = np.percentile(ref, [16, 50, 84], axis=0)
            w = np.exp(logw[gi] - logw[gi].max())
            x = p["samples"][gi, :s_is].astype(np.float64)
            q = np.array([weighted_percentiles(x[:, j], w, [16, 50, 84]) for j in range(len(names))]).T
            offsets.append(np.abs(q[1] - med) / ((hi - lo) / 2))
            ratios.append((q[2] - q[0]) / (hi - lo))
        ess = p["importance/ess_fraction"][()]
    offsets, ratios = np.array(offsets), np.array(ratios)
    print(f"   the first {s_is} flow samples weighed by p(x|θ)p(θ)/q(θ|x) (weighted percentiles), same galaxies:")
    for j, name in enumerate(names):
        med, p90, off = np.median(ratios[:, j]), np.percentile(ratios[:, j], 90), offsets[:, j].mean()
        print(f"   {name:12s}   {med:6.3f} {mark(0.95 <= med <= 1.08):>6s}              {p90:6.3f} {mark(p90 <= 1.3):>5s}"
              f"     {off:6.3f} {mark(off <= 0.15):>5s}")
    with h5py.File(out / "08_sbc_test.h5", "r") as s:
        nltp = float(s.attrs["nltp"])
    e50, e10 = np.median(ess), np.percentile(ess, 10)
    print(f"2. importance-sampling ESS/N of the flow alone on {len(ess)} test galaxies: median {e50:.3f} "
          f"(≥ 0.5: {mark(e50 >= 0.5)}), reached by 90 %: {e10:.3f} (≥ 0.1: {mark(e10 >= 0.1)})")
    print(f"3. NLTP on the test set: {nltp:.3f} nats (lower is sharper)")

    if a.calibration:
        if not (out / "08_sbc_fidelity.h5").exists():
            # Fresh draws of the test prior with another seed, under the set name "fidelity".
            digs("sample-prior", *c, "--set", "test", "-n", a.calibration, "--seed", seed + 1,
                 "-o", out / "02_theta_fidelity.h5")
            digs("simulate", *c, "--set", "fidelity")
            digs("observe", *c, "--set", "fidelity", "--seed", seed + 1)
            digs("infer", *c, "--set", "fidelity", "--seed", seed + 1)
            digs("sbc", *c, "--set", "fidelity", "--seed", seed + 1)
        with h5py.File(out / "08_sbc_fidelity.h5", "r") as s:
            levels = s["coverage_levels"][()]
            marginal = s["coverage_marginal"][()]          # [level, parameter]
            joint = s["coverage_joint"][()]
            ks = s["ks_pvalue"][()]
        n = a.calibration
        print(f"4. calibration on {n} fresh test galaxies (seed {seed + 1}; coverage error ≤ 0.02, KS p > 0.01):")
        for j, name in enumerate(names):
            err = np.abs(marginal[:, j] - levels).max()
            print(f"   {name:12s}   coverage error {err:.3f} {mark(err <= 0.02):>5s}   KS p {ks[j]:.3f} {mark(ks[j] > 0.01):>5s}")
        err = np.abs(joint - levels).max()
        print(f"   joint HPD      coverage error {err:.3f} {mark(err <= 0.02):>5s}")


def weighted_percentiles(x, w, q):
    """Percentiles of weighted samples: the weighted ECDF at the sample midpoints, interpolated."""
    order = np.argsort(x)
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.asarray(q) / 100, cdf, x)


def mark(ok):
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    main()
