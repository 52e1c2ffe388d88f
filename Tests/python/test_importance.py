"""The importance-sampling check of `digs infer` against numpy: the log weights
log p(x | θ) + log p(θ) − log q(θ | x) of the stored samples, recomputed from spectra that
`digs simulate` makes of them; the effective sample size of those weights; flag 8 where the
Pareto k̂ exceeds the recorded threshold; the catalog's IS_ESS_FRAC and PARETO_K columns."""
import h5py
import numpy as np
from astropy.io import fits

from digs_cli import digs, model_spectra


def test_log_weights_ess_and_flag_match_numpy(run, tmp_path):
    d, pipeline = run
    with h5py.File(d / "07_posterior_test.h5", "r") as f:
        w = f.attrs["importance_samples"]
        assert w == min(200, f.attrs["samples_per_galaxy"]) and w >= 20
        assert f["importance/log_weight"].shape == (60, w)
        theta = f["samples"][3, :10].astype(np.float64)
        log_q = f["log_prob"][3, :10].astype(np.float64)
        stored = f["importance/log_weight"][3, :10].astype(np.float64)
        x, sigma = f["observed/log_flux"][3].astype(np.float64), f["observed/log_flux_sigma"][3].astype(np.float64)
        log_weights = f["importance/log_weight"][()].astype(np.float64)
        ess, k = f["importance/ess_fraction"][()], f["importance/pareto_k"][()]
        flags, threshold = f["flags"][()], f.attrs["pareto_k_threshold"]
        best, best_log_prob = f["importance/best"][3].astype(np.float64), f["importance/best_log_prob"][3]
    theta = np.vstack([theta, best])   # the most probable weighed draw, simulated with them
    model = model_spectra(pipeline, theta, tmp_path)
    log_prior = -np.log([5, 3.99, 2, 2.2, 0.9]).sum()   # the smoke pipeline's uniform box
    log_p = log_prior - 0.5 * (((x - model) / sigma) ** 2).sum(axis=1)
    np.testing.assert_allclose(stored, log_p[:10] - log_q, rtol=1e-4, atol=1e-2)
    # importance/best: its log p as numpy computes it, and above every weighed draw's.
    np.testing.assert_allclose(best_log_prob, log_p[10], rtol=1e-4, atol=1e-2)
    assert best_log_prob >= log_p[:10].max() - 1e-2

    shifted = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
    np.testing.assert_allclose(ess, shifted.sum(axis=1) ** 2 / (shifted ** 2).sum(axis=1) / w, rtol=2e-2)  # weights stored as float32
    assert np.isclose(threshold, min(1 - 1 / np.log10(w), 0.7))
    assert (((flags & 8) != 0) == (k > threshold)).all()

    digs("export", "-c", pipeline, "-o", tmp_path / "c.fits")
    with fits.open(tmp_path / "c.fits") as h:
        table = h["DIGS_POSTERIORS"].data
        np.testing.assert_array_equal(table["IS_ESS_FRAC"], ess)
        np.testing.assert_array_equal(table["PARETO_K"], k)


def test_importance_resampling_keeps_each_draw_floor_or_ceil_of_its_weight_share(run, tmp_path):
    """`infer.importance_resampling`: the stored samples are the flow's draws (the same stream as a
    plain run that keeps all of them), each taken ⌊S w_i⌋ or ⌈S w_i⌉ times for the normalised
    exact-posterior weights w_i that the plain run stores; their ESS and k̂ are those weights';
    where k̂ fails (flag 8) the flow's first S draws are kept."""
    d, pipeline = run
    text = open(pipeline).read()
    plain, sir = tmp_path / "plain.yaml", tmp_path / "sir.yaml"
    plain.write_text(text.replace("infer:", "infer:\n  importance_samples: 2000", 1))
    sir.write_text(text.replace("infer:", "infer:\n  importance_samples: 2000\n  importance_resampling: true", 1))
    digs("infer", "-c", plain, "--samples", 2000, "-o", tmp_path / "plain.h5")
    digs("infer", "-c", sir, "--samples", 400, "-o", tmp_path / "sir.h5")
    with h5py.File(tmp_path / "plain.h5") as p, h5py.File(tmp_path / "sir.h5") as s:
        assert s.attrs["importance_resampling"] == 1 and s.attrs["importance_samples"] == 2000
        np.testing.assert_array_equal(p["importance/log_weight"][()], s["importance/log_weight"][()])
        np.testing.assert_array_equal(p["importance/pareto_k"][()], s["importance/pareto_k"][()])
        unreliable = (s["flags"][()] & 8) != 0
        assert np.array_equal(unreliable, s["importance/pareto_k"][()] > s.attrs["pareto_k_threshold"])
        for g in range(len(unreliable)):
            draws, kept = p["samples"][g], s["samples"][g]
            if unreliable[g]:       # k̂ fails: the flow's own first draws, not a too-narrow resample
                np.testing.assert_array_equal(kept, draws[:400])
                continue
            lw = p["importance/log_weight"][g].astype(np.float64)
            w = np.exp(lw - lw.max())
            share = 400 * w / w.sum()
            index = {tuple(row): i for i, row in enumerate(draws)}
            counts = np.bincount([index[tuple(row)] for row in kept], minlength=len(draws))
            # float32 log weights: a share within 1e-3 of an integer may round either way.
            assert np.all(counts >= np.floor(share - 1e-3)) and np.all(counts <= np.ceil(share + 1e-3)), g


def test_refinement_makes_the_stored_posterior_the_exact_one_where_the_flow_fails(run, tmp_path):
    """`infer.refinement_rounds`: where the flow's weights fail k̂, adaptive importance sampling
    started from them (the flow kept as a defensive fifth of every round's draws) gives the stored
    samples, flag 8 cleared. The flow's own weights (ESS, k̂) stay those of a plain resampling run
    with the same stream, galaxies that pass keep exactly that run's samples, and refined
    galaxies' posteriors agree with a converged MCMC of the exact posterior (medians within
    0.3 σ, 68 % widths within 25 %). The flow is the smoke pipeline's trained a little longer
    (10⁴ pairs, 30 epochs): roughly right, as a production flow is where it fails k̂."""
    d, pipeline = run
    text = open(pipeline).read()
    (tmp_path / "01_ssp_library.h5").symlink_to(d / "01_ssp_library.h5")
    longer = text.replace(f"output: {d}", f"output: {tmp_path}").replace("  train: 200 ", "  train: 1000 ").replace(
        "max_epochs: 5", "max_epochs: 30")
    sir, refined = tmp_path / "sir.yaml", tmp_path / "refined.yaml"
    sir.write_text(longer.replace("infer:", "infer:\n  importance_samples: 4000\n  importance_resampling: true", 1))
    refined.write_text(longer.replace("infer:", "infer:\n  importance_samples: 4000\n  importance_resampling: true\n"
                                                 "  refinement_rounds: 8", 1))
    for args in (["sample-prior", "--set", "train"], ["simulate", "--set", "train"], ["augment"], ["train"]):
        digs(*args, "-c", sir)
    observations = ["--observations", d / "06_observations_test.h5"]
    digs("infer", "-c", sir, *observations, "--samples", 1000, "-o", tmp_path / "sir.h5")
    digs("infer", "-c", refined, *observations, "--samples", 1000, "-o", tmp_path / "refined.h5")
    with h5py.File(tmp_path / "sir.h5") as s, h5py.File(tmp_path / "refined.h5") as r:
        np.testing.assert_array_equal(s["importance/pareto_k"][()], r["importance/pareto_k"][()])
        rounds, flags = r["importance/refinement_rounds"][()], r["flags"][()]
        failed = s["importance/pareto_k"][()] > s.attrs["pareto_k_threshold"]
        assert failed.sum() >= 3, "the flow should fail k̂ on several galaxies"
        assert np.all(rounds[~failed] == 0) and np.all(rounds[failed] != 0)
        np.testing.assert_array_equal(r["samples"][~failed], s["samples"][~failed])
        assert np.all((flags & 8 != 0) == (rounds == -1))
        chosen = [int(g) for g in np.flatnonzero(rounds >= 1)[:3]]
        assert len(chosen) >= 2
        refined_samples = r["samples"][chosen].astype(np.float64)
    long = tmp_path / "long.yaml"
    long.write_text(longer.replace("burn_in: [150, 150]", "burn_in: [1000, 1000, 1000]").replace("production: 300", "production: 20000")
                    .replace("thin: 5", "thin: 20"))
    digs("mcmc", "-c", long, *observations, "--galaxies", *chosen, "-o", tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as m:
        assert np.all(m["converged"][()] == 1)
        for k in range(len(chosen)):
            chain = m["chains"][k].reshape(-1, refined_samples.shape[2]).astype(np.float64)
            lo, med, hi = np.percentile(chain, [16, 50, 84], axis=0)
            a = np.percentile(refined_samples[k], [16, 50, 84], axis=0)
            assert np.all(np.abs(a[1] - med) < 0.3 * (hi - lo) / 2), (chosen[k], (a[1] - med) / ((hi - lo) / 2))
            assert np.all(np.abs((a[2] - a[0]) / (hi - lo) - 1) < 0.25), (chosen[k], (a[2] - a[0]) / (hi - lo))
