"""The observation model of real spectra (model error, emission-line mask, flux calibration) against
the independent numpy statement in observation_model.py: in the training pairs `digs augment`
writes, in the likelihood `digs mcmc` samples, and on the two real SDSS spectra pPXF ships,
whose best fits under the exact likelihood must pass the predictive check."""
import csv

import h5py
import numpy as np
import yaml
from scipy.stats import chi2 as chi2_distribution

from digs_cli import digs
from observation_model import chi_square, legendre_basis, line_covered
from test_observed import REAL_SDSS, SDSS_DATA


def observation_section(pipeline):
    return yaml.safe_load(open(pipeline))["model"]["observation"]


def test_sdss_pipeline_declares_the_measured_observation_model(sdss):
    _, pipeline, *_ = sdss
    a = observation_section(pipeline)
    assert a["model_error_dex"] == 0.006 and a["emission_line_mask"] == {"half_width_kms": 800}
    assert a["flux_calibration"] == {"degree": 4, "sigma_dex": 0.1}


def test_training_pairs_carry_the_calibration_the_line_mask_and_the_model_error(sdss):
    """Every pair has the line pixels masked; σ is the noise's with 0.006 dex in quadrature; x − the
    noiseless spectrum holds Legendre P1…P4 terms with s.d. 0.1 dex and no constant term."""
    d, pipeline, *_ = sdss
    a = observation_section(pipeline)
    with h5py.File(d / "04_augmented.h5") as f, h5py.File(d / "03_sed_train.h5") as s:
        rows = slice(0, 4000)
        x, sigma, mask = f["x"][rows].astype(float), f["sigma"][rows].astype(float), f["mask"][rows]
        clean = s["log_flux"][()][f["source_index"][rows]].astype(float)
        wavelength = f["wavelength"][()]
    covered = line_covered(wavelength)
    assert covered.sum() >= 14 and np.all(mask[:, covered] == 0)
    assert np.all(sigma >= 0.006 * (1 - 1e-6))
    # Weighted least squares of the residual on P0…P4, row by row.
    basis = np.column_stack([np.ones(len(wavelength)), legendre_basis(len(wavelength), 4)])
    coefficients = []
    for r, sd in zip(x - clean, sigma):
        c, *_ = np.linalg.lstsq(basis / sd[:, None], r / sd, rcond=None)
        coefficients.append(c)
    spread = np.std(coefficients, axis=0)
    assert spread[0] < 0.01, spread                       # no constant term: the level is the mass's
    assert np.all(np.abs(spread[1:] / a["flux_calibration"]["sigma_dex"] - 1) < 0.06), spread


def test_mcmc_log_posterior_is_the_marginal_likelihood_of_real_spectra(sdss, tmp_path):
    """On the two real SDSS spectra: the log posterior `digs mcmc` stores, at chain positions whose
    spectra `digs simulate` makes again, differs between positions exactly as −½ χ² of the dense
    numpy likelihood (lines masked, σ inflated, calibration marginalised) does."""
    d, pipeline, *_ = sdss
    obs = tmp_path / "real.h5"
    digs("ingest", "-c", pipeline, *[SDSS_DATA / n for n in REAL_SDSS], "-o", obs)
    digs("mcmc", "-c", pipeline, "--observations", obs, "--galaxies", 0, 1, "-o", tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as m, h5py.File(obs) as o:
        chains, log_prob = m["chains"][()], m["log_prob"][()]
        x, sigma, mask, wavelength = o["log_flux"][()], o["log_flux_sigma"][()], o["mask"][()], o["wavelength"][()]
    picks = [(g, t, w) for g in range(2) for t, w in ((-1, 0), (-1, 5), (0, 3), (-2, 9))]
    table = tmp_path / "theta.csv"
    with open(table, "w", newline="") as f:
        csv.writer(f).writerows([["log_mass", "t_age", "log_tau", "log_z", "dust2"], *[chains[p] for p in picks]])
    digs("sample-prior", "-c", pipeline, "--from-table", table, "-o", tmp_path / "theta.h5")
    digs("simulate", "-c", pipeline, "--theta", tmp_path / "theta.h5", "-o", tmp_path / "spectra.h5")
    with h5py.File(tmp_path / "spectra.h5") as f:
        spectra = f["log_flux"][()]
    a = observation_section(pipeline)
    for g in range(2):
        rows = [k for k, p in enumerate(picks) if p[0] == g]
        expected = np.array([-0.5 * chi_square(a, wavelength, x[g], sigma[g], mask[g], spectra[k])[0] for k in rows])
        stored = np.array([log_prob[picks[k]] for k in rows])
        # The box prior is flat: differences of the log posterior are differences of −½ χ². The
        # chains are stored as float32: positions rounded by ~1e-7 move −½ χ² by up to ~1e-2 at this
        # S/N; leaving out the line mask, the model error or the calibration moves it by 10–1000.
        np.testing.assert_allclose(stored - stored[0], expected - expected[0], atol=0.01 + 1e-4 * np.abs(expected).max())
        assert np.ptp(expected) > 1, "positions far enough apart to tell the likelihoods apart"


def test_real_sdss_spectra_pass_the_predictive_check_under_the_exact_likelihood(sdss, tmp_path):
    """NGC 3073 and NGC 3522: at the best position of a converged MCMC on the exact likelihood of the
    sdss observation model, χ²/dof ≤ 1.5 and p > 10⁻³ (README table; without the nuisances
    χ²/dof is 26 and 9.8)."""
    d, pipeline, *_ = sdss
    text = open(pipeline).read().replace("burn_in: [150, 150]", "burn_in: [1000, 1000, 1000]") \
        .replace("  production: 300", "  production: 8000").replace("  thin: 5", "  thin: 40")
    longer = tmp_path / "sdss-long.yaml"
    longer.write_text(text)
    obs = tmp_path / "real.h5"
    digs("ingest", "-c", longer, *[SDSS_DATA / n for n in REAL_SDSS], "-o", obs)
    digs("mcmc", "-c", longer, "--observations", obs, "--galaxies", 0, 1, "-o", tmp_path / "m.h5")
    a = observation_section(longer)
    with h5py.File(tmp_path / "m.h5") as m, h5py.File(obs) as o:
        for g in range(2):
            chi2, dof = chi_square(a, o["wavelength"][()], o["log_flux"][g], o["log_flux_sigma"][g], o["mask"][g],
                                   m["best_log_flux"][g])
            assert dof > 120
            assert chi2 / dof <= 1.5 and chi2_distribution.sf(chi2, dof) > 1e-3, (g, chi2 / dof)


def test_a_galaxy_is_no_older_than_the_universe_at_its_redshift(sdss, tmp_path):
    """`ingest` records the age of the Universe at each redshift (astropy's); `infer` keeps the flow's
    draws below it, in order, with log q renormalised by the passing fraction, and refuses a galaxy
    whose flow has (almost) no mass there; `mcmc` samples the truncated prior."""
    from astropy.cosmology import FlatLambdaCDM
    from product_digest import reseal
    d, pipeline, *_ = sdss
    obs = tmp_path / "real.h5"
    digs("ingest", "-c", pipeline, *[SDSS_DATA / n for n in REAL_SDSS], "-o", obs)
    with h5py.File(obs) as f:
        z, age = f["redshift"][()], f["age_of_universe"][()]
        assert f["age_of_universe"].attrs["units"] == "Gyr"
    np.testing.assert_allclose(age, FlatLambdaCDM(H0=70, Om0=0.3, Tcmb0=0).age(z).value, rtol=1e-9)
    # The flow's own draws (no resampling or refinement): the stored samples are its first draws.
    text = pipeline.read_text()
    assert "  importance_resampling: true" in text and "  refinement_rounds: 6" in text
    pipeline = tmp_path / "draws.yaml"
    pipeline.write_text(text.replace("  importance_resampling: true", "  importance_resampling: false")
                        .replace("  refinement_rounds: 6", "  refinement_rounds: 0"))
    digs("infer", "-c", pipeline, "--observations", obs, "-o", tmp_path / "free.h5")
    with h5py.File(tmp_path / "free.h5") as f:
        free, free_logq = f["samples"][()], f["log_prob"][()]
    limit = float(np.median(free[0, :, 1]))         # half of galaxy 0's draws pass; none of a tiny box
    limited = tmp_path / "limited.h5"
    import shutil
    shutil.copy(obs, limited)
    with h5py.File(limited, "r+") as f:
        f["age_of_universe"][:] = [limit, 0.0500001]
    reseal(limited)
    r = digs("infer", "-c", pipeline, "--observations", limited, "-o", tmp_path / "cut.h5")
    assert "below the age of the Universe" in r.stderr
    with h5py.File(tmp_path / "cut.h5") as f:
        cut, cut_logq, flags = f["samples"][()], f["log_prob"][()], f["flags"][()]
    assert flags[1] & 2 and np.all(np.isnan(cut[1]))
    passing = free[0, :, 1] <= limit
    k = passing.sum()
    assert np.all(cut[0, :, 1] <= limit)
    np.testing.assert_array_equal(cut[0, :k], free[0, passing])          # the same draws, in order
    shift = cut_logq[0, :k] - free_logq[0, passing]
    assert np.allclose(shift, shift[0], atol=1e-4) and 0.3 < shift[0] < 1.1    # log(1/P) with P ≈ 1/2
    digs("mcmc", "-c", pipeline, "--observations", limited, "--galaxies", 0, "-o", tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert np.all(f["chains"][0, :, :, 1] <= limit)
