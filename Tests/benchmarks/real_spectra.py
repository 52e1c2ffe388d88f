"""The real SDSS spectra pPXF ships, through the README's commands, beside pPXF's published fits
(`make real-fit`).

    python Tests/benchmarks/real_spectra.py [PIPELINE.yaml] [--digs BIN] [--threads 2]

Needs the pipeline's flow (`digs run pipelines/sdss.yaml`) and the spectra (`make real-spectra`).
Runs `digs ingest` of NGC 3073 and NGC 3522 → `infer --set observed` → `export` → `plot fit` →
`mcmc --set observed` (the reference schedule, converged), then prints per galaxy:

1. the predictive check of the NPE posterior (χ²/dof, p) and of the MCMC's best fit;
2. NPE against the converged MCMC: |median offset| in σ_MCMC and the 68 % width ratio per
   parameter (targets: ≤ 0.3 and 0.8–1.25), with the importance-sampling ESS and k̂;
3. the posterior medians (16–84 %) beside the values pPXF 9.5.1's own examples publish for the
   same files (`ppxf/examples/ppxf_python_reference_output.txt` in the wheel).
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "python"))
from observation_model import chi_square  # noqa: E402

SPECTRA = Path(os.environ.get("DIGS_REAL_SPECTRA", Path.home() / ".cache" / "digs" / "real-spectra")) / "ppxf" / "spectra"
FILES = ["NGC3073_SDSS_DR18.fits", "NGC3522_SDSS_DR18.fits"]
# pPXF 9.5.1 reference output: light-weighted <lg age/yr>, <[M/H]>, stellar A_V, σ_* [km/s], M*/L_r.
PUBLISHED = {
    "spec-0945-52652-0470": dict(name="NGC 3073", example="population_photometry (FSPS, mdegree 8, with photometry)",
                                 lg_age=8.62, mh=-0.188, av=0.039, ml_r=1.315),
    "spec-2488-54149-0001": dict(name="NGC 3522", example="population_bootstrap / population_gas_sdss (E-MILES)",
                                 lg_age="9.86 / 9.87", mh="-0.054 / +0.005", av=0.271, ml_r="4.31 / 4.61", sigma=99),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pipeline", type=Path, nargs="?", default=ROOT / "pipelines" / "sdss.yaml")
    ap.add_argument("--digs", default=str(ROOT / ".build/release/digs"))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    def digs(*args):
        cmd = [a.digs, *map(str, args)]
        print("$ digs", " ".join(map(str, args[:1] + args[1:])), file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)

    config = yaml.safe_load(a.pipeline.read_text())
    out = ROOT / config["output"]
    c = ["-c", a.pipeline, "--threads", a.threads]
    digs("ingest", *c, *[SPECTRA / f for f in FILES], "--force")
    digs("infer", *c, "--set", "observed", "--force")
    digs("export", *c, "--set", "observed", "--force")
    for k in range(len(FILES)):
        digs("plot", "fit", "-c", a.pipeline, "--set", "observed", "--galaxy", k, "-o", out / f"fit_{k}", "--force")
    digs("mcmc", *c, "--set", "observed", "--galaxies", *range(len(FILES)), "--force")

    augment = config["model"]["observation"]
    names = [p["name"] for p in config["model"]["parameters"]]
    with h5py.File(out / "07_posterior_observed.h5") as p, h5py.File(out / "09_mcmc_observed.h5") as m, \
            h5py.File(out / "06_observations_observed.h5") as o:
        ids = [i.decode() if isinstance(i, bytes) else str(i) for i in p["ids"][()]]
        for g, id_ in enumerate(ids):
            pub = PUBLISHED.get(id_, {})
            print(f"\n{pub.get('name', id_)} ({id_}, z = {o['redshift'][g]:.5f}, age of the Universe {o['age_of_universe'][g]:.2f} Gyr)")
            chi2, dof = chi_square(augment, o["wavelength"][()], o["log_flux"][g], o["log_flux_sigma"][g], o["mask"][g],
                                   m["best_log_flux"][g])
            print(f"  predictive check: NPE chi2/dof {p['ppc/chi2'][g] / p['ppc/dof'][g]:.2f} (p {p['ppc/pvalue'][g]:.2g}, flags {p['flags'][g]});"
                  f" MCMC best fit chi2/dof {chi2 / dof:.2f} over {dof} pixels; MCMC converged {bool(m['converged'][g])}")
            print(f"  importance weights of the NPE samples: ESS/N {p['importance/ess_fraction'][g]:.3f}, Pareto k {p['importance/pareto_k'][g]:.2f}")
            npe = p["samples"][g].astype(float)
            chain = m["chains"][g].reshape(-1, len(names)).astype(float)
            print(f"  {'parameter':10s} {'NPE 16/50/84':>26s} {'MCMC 16/50/84':>26s} {'|offset|/σ':>10s} {'width ratio':>11s}")
            for j, name in enumerate(names):
                q, r = np.percentile(npe[:, j], [16, 50, 84]), np.percentile(chain[:, j], [16, 50, 84])
                sigma = (r[2] - r[0]) / 2
                print(f"  {name:10s} {q[1]:8.3f} [{q[0]:7.3f},{q[2]:7.3f}] {r[1]:8.3f} [{r[0]:7.3f},{r[2]:7.3f}]"
                      f" {abs(q[1] - r[1]) / sigma:10.2f} {(q[2] - q[0]) / (r[2] - r[0]):11.2f}")
            derived = p["derived/percentiles"][g]
            age = p["derived/samples"][g][:, 1]
            print(f"  mass-weighted age: NPE {np.median(age):.2f} Gyr (lg {np.log10(np.median(age) * 1e9):.2f});"
                  f" A_V = 1.086 dust2: NPE {1.086 * np.median(npe[:, 4]):.3f}, MCMC {1.086 * np.median(chain[:, 4]):.3f};"
                  f" log living mass {derived[1, 0]:.2f}")
            if pub:
                print(f"  pPXF ({pub['example']}): light-weighted lg age {pub['lg_age']}, [M/H] {pub['mh']}, A_V {pub['av']},"
                      f" M*/L_r {pub['ml_r']}" + (f", sigma {pub['sigma']} km/s" if "sigma" in pub else ""))


if __name__ == "__main__":
    main()
