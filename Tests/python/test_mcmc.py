"""`digs mcmc` and `digs compare` on the smoke pipeline, checked with numpy/scipy.

The smoke pipeline's short reference schedule (16 walkers, burn-in 150 + 150, 300 production
steps stored every 5th), on 3 galaxies, keeps it fast; the sampler itself is checked against closed forms in Tests/MCMCTests.
"""
import json
import subprocess
import time

import h5py
import numpy as np
from scipy import stats

from digs_cli import DIGS, ROOT, digs

def pipeline_with_mcmc(run, tmp_path):
    d, pipeline = run
    p = tmp_path / "mcmc.yaml"
    text = pipeline.read_text()
    assert "  walkers: 16\n  burn_in: [150, 150]\n  production: 300\n  thin: 5" in text
    p.write_text(text.replace("  galaxies: 2\n", "  galaxies: 3\n"))
    return d, p


def test_chains_are_valid_deterministic_and_independent_of_threads(run, tmp_path):
    d, p = pipeline_with_mcmc(run, tmp_path)
    digs("mcmc", "-c", p, "--threads", 2, "-o", tmp_path / "a.h5")
    digs("mcmc", "-c", p, "--threads", 1, "-o", tmp_path / "b.h5")
    assert "valid" in digs("validate", tmp_path / "a.h5").stdout
    with h5py.File(tmp_path / "a.h5", "r") as a, h5py.File(tmp_path / "b.h5", "r") as b, \
            h5py.File(d / "06_observations_test.h5", "r") as o:
        np.testing.assert_array_equal(a["chains"][()], b["chains"][()])
        chains = a["chains"][()]
        assert chains.shape == (3, 60, 16, 5)
        low, high = np.array([8, 0.01, -1, -2, 0.1]), np.array([13, 4, 1, 0.2, 1])
        assert (chains >= low).all() and (chains <= high).all()
        np.testing.assert_array_equal(a["theta_true"][()], o["theta_true"][:3])
        assert ((a["acceptance_fraction"][()] > 0) & (a["acceptance_fraction"][()] < 1)).all()
        assert a.attrs["likelihood_calls"] == 16 * (150 + 150 + 300 + 1) + 4096   # + the screened start's prior draws
        assert a.attrs["schedule"] == "reference" and a.attrs["thin"] == 5 and a.attrs["production_steps"] == 300
    check_log_posterior(p, d, tmp_path, tmp_path / "a.h5", log_uniform_age=False)


def check_log_posterior(p, d, tmp_path, chains_path, log_uniform_age):
    """log_prob is the log prior density plus the Gaussian log-likelihood of the stored positions:
    recompute four with the forward model through `digs simulate` on a theta table, and the
    prior density in closed form."""
    with h5py.File(chains_path, "r") as a:
        theta = a["chains"][0, -1, :4].astype(np.float64)
    table = tmp_path / "theta.csv"
    table.write_text("log_mass,t_age,log_tau,log_z,dust2\n" + "\n".join(",".join(f"{v:.9g}" for v in t) for t in theta))
    digs("sample-prior", "-c", p, "--from-table", table, "-o", tmp_path / "t.h5", "--force")
    digs("simulate", "-c", p, "--theta", tmp_path / "t.h5", "-o", tmp_path / "s.h5", "--force")
    with h5py.File(tmp_path / "s.h5", "r") as s, h5py.File(chains_path, "r") as a, \
            h5py.File(d / "06_observations_test.h5", "r") as o:
        x, sigma = o["log_flux"][0].astype(np.float64), o["log_flux_sigma"][0].astype(np.float64)
        log_likelihood = -0.5 * (((x - s["log_flux"][()]) / sigma) ** 2).sum(axis=1)
        widths = np.array([5, 3.99, 2, 2.2, 0.9])
        if log_uniform_age:
            # t_age ~ 1/t on [0.01, 4]: log p = −log t − log log(4/0.01); the others uniform.
            log_prior = -np.log(np.delete(widths, 1)).sum() - np.log(theta[:, 1]) - np.log(np.log(400.0))
        else:
            log_prior = -np.log(widths).sum() * np.ones(4)
        np.testing.assert_allclose(a["log_prob"][0, -1, :4], log_prior + log_likelihood, rtol=2e-4)


def test_chains_sample_the_prior_density_too(run, tmp_path):
    """With a log-uniform age prior the chains sample prior × likelihood, not the likelihood in a box."""
    d, p = pipeline_with_mcmc(run, tmp_path)
    text = p.read_text()
    uniform = "{name: t_age, distribution: uniform, low: 0.01, high: 4}"
    assert uniform in text
    p.write_text(text.replace(uniform, "{name: t_age, distribution: log_uniform, low: 0.01, high: 4}"))
    digs("mcmc", "-c", p, "--threads", 2, "--galaxies", 0, "-o", tmp_path / "a.h5")
    check_log_posterior(p, d, tmp_path, tmp_path / "a.h5", log_uniform_age=True)


def test_interrupted_run_resumes_with_the_finished_galaxies(run, tmp_path):
    d, p = pipeline_with_mcmc(run, tmp_path)
    digs("mcmc", "-c", p, "--threads", 1, "-o", tmp_path / "whole.h5")
    parts = tmp_path / ".cut.h5.parts"
    proc = subprocess.Popen([str(DIGS), "mcmc", "-c", str(p), "--threads", "1", "-o", str(tmp_path / "cut.h5")],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list(parts.glob("galaxy_*.h5")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    if (tmp_path / "cut.h5").exists():  # finished before the kill: nothing to resume
        return
    r = digs("mcmc", "-c", p, "--threads", 1, "-o", tmp_path / "cut.h5")
    assert "resumed" in r.stderr
    assert not parts.exists()
    with h5py.File(tmp_path / "whole.h5", "r") as a, h5py.File(tmp_path / "cut.h5", "r") as b:
        np.testing.assert_array_equal(a["chains"][()], b["chains"][()])


def test_compare_matches_numpy_and_scipy(run, tmp_path):
    d, p = pipeline_with_mcmc(run, tmp_path)
    digs("mcmc", "-c", p, "-o", tmp_path / "m.h5")
    out = json.loads(digs("compare", "-c", p, "--mcmc", tmp_path / "m.h5", "--json").stdout)
    with h5py.File(tmp_path / "m.h5", "r") as m, h5py.File(d / "07_posterior_test.h5", "r") as post:
        names = list(m.attrs["parameter_names"])
        rows = {(r["id"], r["parameter"]): r for r in out["rows"]}
        for k, gi in enumerate(m["galaxy_index"][()]):
            for j, name in enumerate(names):
                ref = m["chains"][k, :, :, j].astype(np.float64).ravel()
                test = post["samples"][gi, :, j].astype(np.float64)
                lo, med, hi = np.percentile(ref, [16, 50, 84])
                sigma = (hi - lo) / 2
                r = rows[(str(m["ids"][k]), name)]
                assert abs(r["medianOffset"] - (np.median(test) - med) / sigma) < 1e-9
                t16, t84 = np.percentile(test, [16, 84])
                assert abs(r["widthRatio"] - (t84 - t16) / 2 / sigma) < 1e-9
                assert abs(r["energyDistance"] - stats.energy_distance(test, ref) ** 2 / sigma) < 1e-6 * max(1, r["energyDistance"])


def test_mismatched_products_and_bad_settings_are_refused(run, tmp_path):
    d, p = pipeline_with_mcmc(run, tmp_path)
    r = digs("mcmc", "-c", p, "--galaxies", 999, "-o", tmp_path / "x.h5", check=False)
    assert r.returncode != 0 and "--galaxies" in r.stderr and "999" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(p.read_text().replace("walkers: 16", "walkers: 7"))
    r = digs("mcmc", "-c", bad, "-o", tmp_path / "x.h5", check=False)
    assert r.returncode != 0 and "mcmc.walkers" in r.stderr
    # Chains of other observations than the posterior's.
    # Other observations than the pipeline's: the screened start (the default) weighs prior draws alone.
    digs("mcmc", "-c", p, "--observations", d / "03_sed_train.h5", "-o", tmp_path / "other.h5")
    with h5py.File(tmp_path / "other.h5", "r") as o:
        assert o.attrs["screened_npe_samples"] == 0 and "posterior_samples" not in o.attrs["inputs"]
    r = digs("compare", "-c", p, "--mcmc", tmp_path / "other.h5", check=False)
    assert r.returncode != 0 and "different runs" in r.stderr
    assert not (tmp_path / "x.h5").exists()


def split_rhat(chains):
    """BDA3 split-R̂ of chains[walker, step], written afresh with numpy."""
    n = chains.shape[1] // 2
    halves = np.concatenate([chains[:, :n], chains[:, chains.shape[1] - n:]])
    means, variances = halves.mean(axis=1), halves.var(axis=1, ddof=1)
    b, w = n * means.var(ddof=1), variances.mean()
    return np.sqrt(((n - 1) / n * w + b / n) / w)


def test_split_rhat_and_convergence_flag_match_numpy(run, tmp_path):
    """split-R̂ and τ are measured on every production step; with thin 1 all of them are stored."""
    d, p = pipeline_with_mcmc(run, tmp_path)
    p.write_text(p.read_text().replace("  production: 300\n  thin: 5", "  production: 60\n  thin: 1"))
    digs("mcmc", "-c", p, "-o", tmp_path / "a.h5")
    with h5py.File(tmp_path / "a.h5", "r") as a:
        chains, rhat, tau, converged = a["chains"][()].astype(np.float64), a["split_rhat"][()], a["autocorr_time"][()], a["converged"][()]
        missed, log_prob = a["missed_log_prob"][()], a["log_prob"][()]
        assert a.attrs["initialization"] == "screened" and a.attrs["screened_npe_samples"] == 1
    with h5py.File(d / "07_posterior_test.h5", "r") as post:
        npe_best = post["importance/best_log_prob"][:chains.shape[0]]
    # The best position known is at least the NPE's best and every stored step's: missed ≥ both gaps.
    assert (missed >= 0).all()
    assert (missed >= npe_best - log_prob.max(axis=(1, 2)) - 1e-3).all()
    for g in range(chains.shape[0]):
        expected = [split_rhat(chains[g, :, :, j].T) for j in range(chains.shape[3])]
        np.testing.assert_allclose(rhat[g], expected, rtol=1e-4)  # R̂ is computed from the float64 positions; the stored chain is float32
    # 60 production steps are never 50 τ: no chain of the smoke schedule is a reference.
    assert (converged == ((60 >= 50 * tau.max(axis=1)) & (rhat.max(axis=1) <= 1.01) & (missed <= 2))).all() and not converged.any()
    out = digs("compare", "-c", p, "--mcmc", tmp_path / "a.h5").stdout
    assert "no chain has converged" in out
