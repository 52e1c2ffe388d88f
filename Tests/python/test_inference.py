"""`digs observe`, `digs infer` and `digs sbc` on the smoke pipeline, checked with numpy/scipy.

The posterior summaries, ranks, coverage and test statistics are recomputed here from the
samples that h5py reads, independently of DIGS; bad input must fail with a clear message
(or, for one bad spectrum among good ones, be flagged and skipped).
"""
import shutil

import h5py
import numpy as np
import pytest
from scipy import stats

from product_digest import reseal
from digs_cli import ROOT, digs

from conftest import SAMPLES


def test_products_validate(run):
    d, _ = run
    out = digs("validate", d / "06_observations_test.h5", d / "07_posterior_test.h5", d / "08_sbc_test.h5").stdout
    assert out.count("valid") == 3


def test_observations_are_the_noiseless_spectra_plus_the_noise_model(run):
    d, _ = run
    with h5py.File(d / "03_sed_test.h5", "r") as s, h5py.File(d / "06_observations_test.h5", "r") as o:
        residual = o["log_flux"][()] - s["log_flux"][()]
        assert abs(residual.std() - 0.0211893) < 0.002 and abs(residual.mean()) < 0.001
        np.testing.assert_array_equal(o["theta_true"][()], s["theta"][()])
        np.testing.assert_allclose(o["log_flux_sigma"][()], 0.0211893, rtol=1e-6)
        assert o["mask"][()].all()


def test_summaries_match_numpy(run):
    d, _ = run
    with h5py.File(d / "07_posterior_test.h5", "r") as f:
        x = f["samples"][()].astype(np.float64)
        lp = f["log_prob"][()]
        assert x.shape == (60, SAMPLES, 5) and f.attrs["samples_per_galaxy"] == SAMPLES
        np.testing.assert_allclose(f["percentiles"][()], np.percentile(x, [16, 50, 84], axis=1).transpose(1, 0, 2),
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(f["mean"][()], x.mean(axis=1), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(f["std"][()], x.std(axis=1), rtol=1e-5, atol=1e-6)
        best = np.argmax(lp, axis=1)
        np.testing.assert_allclose(f["map"][()], x[np.arange(60), best], rtol=1e-6)
        low, high = f.attrs["prior_low"], f.attrs["prior_high"]
        assert (x >= low).all() and (x <= high).all()
        # Living mass is below the mass formed, for every sample.
        living = f["derived/samples"][:, :, 0]
        assert (living < x[:, :, 0]).all() and (living > x[:, :, 0] - 0.5).all()
        names = list(f["derived/samples"].attrs["derived_names"])
        assert names == ["log_surviving_mass", "mass_weighted_age", "log_sfr_100", "log_ssfr_100", "t50", "t90"]
        derived = {n: f["derived/samples"][:, :, k] for k, n in enumerate(names)}
        # Half the mass formed before 90 % had; both within the galaxy's age; sSFR is SFR per surviving mass.
        assert (derived["t90"] <= derived["t50"]).all() and (derived["t50"] <= x[:, :, 1] * (1 + 1e-6)).all()
        np.testing.assert_allclose(derived["log_ssfr_100"], derived["log_sfr_100"] - living, atol=1e-5)
        # The truths' derived quantities are the simulate stage's for the same θ (the test sed_set).
        with h5py.File(d / "03_sed_test.h5", "r") as sed:
            order = f["ids"][()] if f["ids"].dtype.kind in "iu" else np.arange(len(f["theta_true"]))
            np.testing.assert_allclose(sed["theta"][()][order], f["theta_true"][()], rtol=0, atol=0)
            for k, n in enumerate(names):
                np.testing.assert_allclose(f["derived/truth"][:, k], sed[n][()][order], rtol=1e-12, atol=0)


def test_predictive_check_is_consistent(run):
    d, _ = run
    with h5py.File(d / "07_posterior_test.h5", "r") as f:
        obs, sigma = f["observed/log_flux"][()], f["observed/log_flux_sigma"][()]
        median, residual = f["ppc/median"][()], f["ppc/residual"][()]
        np.testing.assert_allclose(residual, obs - median, atol=1e-5)
        np.testing.assert_allclose(f["ppc/chi2"][()], ((residual / sigma) ** 2).sum(axis=1), rtol=1e-4)
        assert (f["ppc/p16"][()] <= median + 1e-6).all() and (median <= f["ppc/p84"][()] + 1e-6).all()
        p = f["ppc/pvalue"][()]
        assert ((p >= 0) & (p <= 1)).all()
        flags = f["flags"][()]
        np.testing.assert_array_equal(flags & 1, (p < f.attrs["ppc_pvalue_threshold"]).astype(np.uint8))


def test_sbc_matches_an_independent_computation(run):
    d, _ = run
    with h5py.File(d / "07_posterior_test.h5", "r") as p, h5py.File(d / "08_sbc_test.h5", "r") as s:
        x = p["samples"][()].astype(np.float64)
        truth = p["theta_true"][()]
        ranks = (x < truth[:, None, :]).sum(axis=1)
        np.testing.assert_array_equal(s["ranks"][()], ranks)
        # NLTP: mean −log q(θ_true | x) over the galaxies, from the posterior's own log q of the truth.
        np.testing.assert_allclose(s.attrs["nltp"], -p["log_prob_true"][()].mean(), rtol=1e-12)
        np.testing.assert_array_equal(s["per_galaxy/log_prob_true"][()], p["log_prob_true"][()])
        for j in range(5):
            u = (ranks[:, j] + 0.5) / (SAMPLES + 1)
            ks = stats.kstest(u, "uniform", method="asymp")
            assert abs(s["ks_statistic"][j] - ks.statistic) < 1e-12
            assert abs(s["ks_pvalue"][j] - ks.pvalue) < 0.03  # Stephens' correction vs plain asymptotic
            bins = s.attrs["histogram_bins"]
            counts = np.bincount(ranks[:, j] * bins // (SAMPLES + 1), minlength=bins)
            share = np.bincount(np.arange(SAMPLES + 1) * bins // (SAMPLES + 1), minlength=bins) / (SAMPLES + 1)
            chi = stats.chisquare(counts, share * len(ranks))
            assert abs(s["chi2_statistic"][j] - chi.statistic) < 1e-9
            assert abs(s["chi2_pvalue"][j] - chi.pvalue) < 1e-9
        levels = s["coverage_levels"][()]
        for level, row in zip(levels, s["coverage_marginal"][()]):
            lo = np.percentile(x, 50 * (1 - level), axis=1)
            hi = np.percentile(x, 50 * (1 + level), axis=1)
            np.testing.assert_allclose(row, ((truth >= lo) & (truth <= hi)).mean(axis=0))
        hpd = (p["log_prob"][()] > p["log_prob_true"][()][:, None]).mean(axis=1)
        np.testing.assert_allclose(s["coverage_joint"][()], [(hpd < a).mean() for a in levels])
        med = np.percentile(x, 50, axis=1)
        np.testing.assert_allclose(s["accuracy/rmse"][()], np.sqrt(((med - truth) ** 2).mean(axis=0)), rtol=1e-9)
        r = [np.corrcoef(med[:, j], truth[:, j])[0, 1] for j in range(5)]
        np.testing.assert_allclose(s["accuracy/pearson_r"][()], r, rtol=1e-9)


def test_same_seed_same_posterior_whatever_the_threads_or_input_kind(run, tmp_path):
    d, pipeline = run
    digs("infer", "-c", pipeline, "--samples", SAMPLES, "--threads", 1, "--observations", d / "03_sed_test.h5",
         "-o", tmp_path / "post.h5")
    with h5py.File(d / "07_posterior_test.h5", "r") as a, h5py.File(tmp_path / "post.h5", "r") as b:
        np.testing.assert_array_equal(a["samples"][()], b["samples"][()])
        np.testing.assert_array_equal(a["ppc/median"][()], b["ppc/median"][()])


def test_nan_spectrum_is_flagged_and_skipped(run, tmp_path):
    d, pipeline = run
    bad = tmp_path / "obs.h5"
    shutil.copy(d / "06_observations_test.h5", bad)
    with h5py.File(bad, "r+") as f:
        f["log_flux"][3, 10] = np.nan
    reseal(bad)
    digs("infer", "-c", pipeline, "--samples", 50, "--observations", bad, "-o", tmp_path / "post.h5")
    with h5py.File(tmp_path / "post.h5", "r") as f:
        assert f["flags"][3] & 2
        assert np.isnan(f["samples"][3]).all() and np.isnan(f["percentiles"][3]).all()
        assert not np.isnan(f["samples"][4]).any() and not (f["flags"][()][np.arange(60) != 3] & 2).any()
    digs("sbc", "-c", pipeline, "--posterior", tmp_path / "post.h5", "-o", tmp_path / "sbc.h5")
    with h5py.File(tmp_path / "sbc.h5", "r") as f:
        assert f.attrs["galaxies_skipped"] == 1 and f["ranks"].shape == (59, 5)


def test_bad_input_is_refused_with_a_clear_message(run, tmp_path):
    d, pipeline = run
    r = digs("infer", "-c", pipeline, "--samples", 0, "-o", tmp_path / "p.h5", check=False)
    assert r.returncode != 0 and "infer.samples" in r.stderr and not (tmp_path / "p.h5").exists()
    # Observations on another pixel grid than the flow's.
    other = pipeline.read_text().replace("pixels: 138", "pixels: 100")
    (tmp_path / "other.yaml").write_text(other)
    digs("simulate", "-c", tmp_path / "other.yaml", "--theta", d / "02_theta_test.h5", "-o", tmp_path / "sed100.h5")
    r = digs("infer", "-c", pipeline, "--observations", tmp_path / "sed100.h5", "-o", tmp_path / "p.h5", check=False)
    assert r.returncode != 0 and "sed100.h5" in r.stderr and "wavelength" in r.stderr and "100 pixels" in r.stderr
    assert not (tmp_path / "p.h5").exists()
    # A posterior without truth cannot be calibrated; a product of the wrong kind is named.
    r = digs("sbc", "--posterior", d / "06_observations_test.h5", "-o", tmp_path / "s.h5", check=False)
    assert r.returncode != 0 and "06_observations_test.h5" in r.stderr and "posterior_samples" in r.stderr
    r = digs("infer", "-c", pipeline, "--observations", d / "05_flow.h5", "-o", tmp_path / "p.h5", check=False)
    assert r.returncode != 0 and "observation_set or sed_set" in r.stderr


def test_plot_draws_png_and_pdf_figures(run, tmp_path):
    d, pipeline = run
    out = digs("plot", "-c", pipeline, "-o", tmp_path).stdout.split()
    assert sorted(p.rsplit("/", 1)[1] for p in out) == sorted(
        f"{f}.{e}" for f in ("training", "ranks", "coverage", "recovery", "recovery-derived", "spectra", "corner", "fit", "sfh")
        for e in ("png", "pdf"))
    for p in out:
        head = open(p, "rb").read(8)
        assert head == b"\x89PNG\r\n\x1a\n" if p.endswith(".png") else head.startswith(b"%PDF")
    r = digs("plot", "-c", pipeline, "nonsense", check=False)
    assert r.returncode != 0 and "'nonsense' is invalid" in r.stderr and "training" in r.stderr
