"""`train.analytic_mass`: the flow learns every parameter but log_mass, and `digs infer` draws
log_mass from its exact conditional posterior. Checked against numpy: the stored log q of each
sample is the flow's density of the other four (the numpy re-implementation of
test_flow_numpy) times the truncated Gaussian that χ², quadratic in log_mass, gives — from a
model spectrum `digs simulate` makes; and a pipeline whose log_mass prior is not uniform is
refused with the setting named."""
import h5py
import numpy as np
from scipy.stats import truncnorm

from conftest import smoke_pipeline
from digs_cli import digs, model_spectra
from test_flow_numpy import numpy_log_q, trained_and_inferred

LINES = "  analytic_mass: true\n  embedding_features: [12]\n  context_transform: level_shape\n"


def test_stored_log_q_is_flow_times_exact_mass_conditional(run, tmp_path_factory, tmp_path):
    d, source = trained_and_inferred(run, tmp_path_factory, "analytic", LINES)
    _, pipeline = run
    with h5py.File(d / "flow.h5", "r") as f:
        assert f.attrs["analytic_parameter"] == "log_mass"
        assert list(f.attrs["parameter_names"]) == ["t_age", "log_tau", "log_z", "dust2"]
        with h5py.File(d / "posterior.h5", "r") as p:
            assert list(p.attrs["parameter_names"]) == ["log_mass", "t_age", "log_tau", "log_z", "dust2"]
            assert p["samples"].shape == (60, 50, 5) and p.attrs["analytic_parameter"] == "log_mass"
            # Samples inside the box: at its edges (a conditional centred beyond them) the
            # truncated density is so steep that the float32 storage of θ blurs it.
            mass = p["samples"][:, :, 0]
            rows = [(g, k) for g in (0, 5, 9) for k in range(50) if 8.01 < mass[g, k] < 12.99][:12]
            assert len(rows) >= 6
            theta = np.array([p["samples"][g, k] for g, k in rows], dtype=np.float64)
            stored = np.array([p["log_prob"][g, k] for g, k in rows], dtype=np.float64)
            truth, stored_true = p["theta_true"][:2].astype(np.float64), p["log_prob_true"][:2]
            x = p["observed/log_flux"][()].astype(np.float64)
            sigma = p["observed/log_flux_sigma"][()].astype(np.float64)
        flow_part = [numpy_log_q(f, t[1:], x[g]) for (g, _), t in zip(rows, theta)]
        flow_true = [numpy_log_q(f, truth[g, 1:], x[g]) for g in range(2)]
    points = np.vstack([theta, truth])
    model = model_spectra(pipeline, points, tmp_path)
    galaxies = [g for g, _ in rows] + [0, 1]
    assert all(8.01 < m < 12.99 for m in truth[:, 0])

    def log_conditional(i):
        # χ²(m) = Σ ((x − f − (m − m_i))/σ)²: a Gaussian in m of mean m_i + Σ r/σ² / Σ 1/σ², sd (Σ 1/σ²)^-½.
        g, m = galaxies[i], points[i, 0]
        a = (1 / sigma[g] ** 2).sum()
        mean, sd = m + ((x[g] - model[i]) / sigma[g] ** 2).sum() / a, 1 / np.sqrt(a)
        return truncnorm.logpdf(m, (8 - mean) / sd, (13 - mean) / sd, loc=mean, scale=sd)

    expected = np.array(flow_part) + [log_conditional(i) for i in range(len(rows))]
    np.testing.assert_allclose(stored, expected, atol=5e-3)
    np.testing.assert_allclose(stored_true, np.array(flow_true) + [log_conditional(len(rows) + g) for g in range(2)], atol=5e-3)
    # The mass part is most of the density here (sd ~2×10⁻³ dex): a wrong conditional cannot pass.
    assert np.all(np.array([log_conditional(i) for i in range(len(rows))]) > 2)


def test_a_non_uniform_mass_prior_is_refused(run, tmp_path):
    source, _ = run
    pipeline = smoke_pipeline(tmp_path, tmp_path, [
        ("  num_transforms: 3\n", "  num_transforms: 3\n  analytic_mass: true\n"),
        ("{name: log_mass, distribution: uniform, low: 8, high: 13}", "{name: log_mass, distribution: log_uniform, low: 8, high: 13}")])
    r = digs("train", "-c", pipeline, "--data", source / "04_augmented.h5", "-o", tmp_path / "flow.h5", check=False)
    assert r.returncode != 0
    assert "train.analytic_mass" in r.stderr and "log_uniform" in r.stderr and "uniform" in r.stderr
    assert not (tmp_path / "flow.h5").exists()
