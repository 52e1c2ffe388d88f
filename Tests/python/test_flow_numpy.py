"""The flow product is self-contained: a numpy re-implementation of q(θ | x) from nothing but
05_flow.h5 (weights, permutations, transforms) reproduces the log q(θ_true | x) that
`digs infer` stores, for a flow with every option (embedding network, level_shape context), and
for a neural spline flow (flow: nsf, theta_transform: probit), whose spline is written here from
nflows' formulas."""
import h5py
import numpy as np
import pytest
from scipy.special import ndtri

from conftest import smoke_pipeline
from digs_cli import digs


def softplus(a):
    return np.logaddexp(0.0, a)


def rq_spline(x, params, bins, bound, hidden):
    """nflows' unconstrained_rational_quadratic_spline (linear tails, min sizes 1e-3) for one
    value x and its 3K − 1 unconstrained parameters; widths and heights divided by √hidden as
    nflows' MaskedPiecewiseRationalQuadraticAutoregressiveTransform does. Returns (y, log dy/dx)."""
    if not -bound <= x <= bound:
        return x, 0.0
    min_size, min_d = 1e-3, 1e-3

    def knots(v):
        e = np.exp(v / np.sqrt(hidden) - np.max(v / np.sqrt(hidden)))
        sizes = min_size + (1 - min_size * bins) * e / e.sum()
        c = np.concatenate([[0.0], np.cumsum(sizes)]) * 2 * bound - bound
        c[0], c[-1] = -bound, bound
        return c

    cw, ch = knots(params[:bins]), knots(params[bins:2 * bins])
    d = np.concatenate([[1.0], min_d + softplus(params[2 * bins:]), [1.0]])
    k = min(np.searchsorted(cw, x, side="right") - 1, bins - 1)
    w, h = cw[k + 1] - cw[k], ch[k + 1] - ch[k]
    s, xi = h / w, (x - cw[k]) / w
    t = xi * (1 - xi)
    den = s + (d[k] + d[k + 1] - 2 * s) * t
    y = ch[k] + h * (s * xi ** 2 + d[k] * t) / den
    deriv = s ** 2 * (d[k + 1] * xi ** 2 + 2 * s * t + d[k] * (1 - xi) ** 2) / den ** 2
    return y, np.log(deriv)


def numpy_log_q(flow, theta, x):
    """log q(θ | x) in physical units, written from the flow_model schema and the README."""
    f = flow
    low, high = f["transforms/prior_low"][()], f["transforms/prior_high"][()]
    t = np.clip((theta - low) / (high - low), 1e-12, 1 - 1e-12)
    z_mean, z_std = f["transforms/z_mean"][()], f["transforms/z_std"][()]
    if f.attrs.get("theta_transform", "logit") == "probit":
        y = ndtri(t)
        log_dy = -np.log(high - low) + 0.5 * y ** 2 + 0.5 * np.log(2 * np.pi)
    else:
        y = np.log(t) - np.log1p(-t)
        log_dy = -np.log(high - low) - np.log(t) - np.log1p(-t)
    u = (y - z_mean) / z_std
    log_jac = np.sum(log_dy - np.log(z_std))
    if f.attrs.get("context_transform", "pixels") == "level_shape":
        level = x.mean()
        x = np.concatenate([[level], x - level])
    e = (x - f["transforms/x_mean"][()]) / f["transforms/x_std"][()]
    for i in range(len(f.attrs.get("embedding_features", []))):
        e = np.tanh(f[f"weights/embedding_{i:02d}_weight"][()] @ e + f[f"weights/embedding_{i:02d}_bias"][()])
    hidden, transforms = int(f.attrs["hidden_features"]), int(f.attrs["num_transforms"])
    c = np.tanh(f["weights/context_weight"][()] @ e + f["weights/context_bias"][()])
    perms = f["permutations"][()]
    log_det = 0.0
    for k in range(transforms):
        w = lambda name: f[f"weights/transform_{k:02d}/{name}"][()].astype(np.float64)
        h0 = np.tanh(w("input_weight") @ u + w("input_bias") + c[k * hidden:(k + 1) * hidden])
        h1 = np.tanh(w("hidden1_weight") @ h0 + w("hidden1_bias"))
        h2 = np.tanh(w("hidden2_weight") @ h1 + w("hidden2_bias"))
        o = w("output_weight") @ h2 + w("output_bias")
        if f.attrs["architecture"] == "nsf":
            bins, bound = int(f.attrs["spline_bins"]), float(f.attrs["spline_tail_bound"])
            per = 3 * bins - 1
            pairs = [rq_spline(u[i], o[i * per:(i + 1) * per], bins, bound, hidden) for i in range(len(u))]
            z = np.array([y for y, _ in pairs])
            log_det += sum(ld for _, ld in pairs)
        else:
            scale = softplus(o[0::2]) + 1e-3
            z = scale * u + o[1::2]
            log_det += np.log(scale).sum()
        u = z[perms[k]]
    return -0.5 * u @ u - 0.5 * len(u) * np.log(2 * np.pi) + log_det + log_jac


def trained_and_inferred(run, tmp_path_factory, name, train_lines):
    """A smoke flow with `train_lines` added to its train section, and its posterior of the
    smoke test set (50 samples): (folder, source folder)."""
    source, _ = run
    d = tmp_path_factory.mktemp(name)
    pipeline = smoke_pipeline(d, d, [("  num_transforms: 3\n", "  num_transforms: 3\n" + train_lines)])
    digs("train", "-c", pipeline, "--data", source / "04_augmented.h5", "-o", d / "flow.h5")
    digs("infer", "-c", pipeline, "--observations", source / "06_observations_test.h5", "--flow", d / "flow.h5",
         "--ssp", source / "01_ssp_library.h5", "--samples", 50, "-o", d / "posterior.h5")
    return d, source


@pytest.fixture(scope="module")
def flow_with_options(run, tmp_path_factory):
    return trained_and_inferred(run, tmp_path_factory, "options", "  embedding_features: [12, 6]\n  context_transform: level_shape\n")


def test_numpy_reimplementation_reproduces_the_stored_log_q(flow_with_options):
    d, source = flow_with_options
    with h5py.File(d / "flow.h5", "r") as f, h5py.File(d / "posterior.h5", "r") as p, \
            h5py.File(source / "06_observations_test.h5", "r") as o:
        assert f.attrs["context_transform"] == "level_shape"
        assert list(f.attrs["embedding_features"]) == [12, 6]
        assert f["transforms/x_mean"].shape == (139,)
        x, truth, stored = o["log_flux"][()].astype(np.float64), p["theta_true"][()], p["log_prob_true"][()]
        values = [numpy_log_q(f, truth[g], x[g]) for g in range(10)]
        # The network runs in float32: agreement to a few 10⁻⁴ nats, far below any change of the weights.
        np.testing.assert_allclose(values, stored[:10], atol=2e-3)
        # And the numbers carry information: a wrong θ gets another density.
        assert abs(numpy_log_q(f, truth[1], x[0]) - stored[0]) > 0.1


@pytest.fixture(scope="module")
def spline_flow(run, tmp_path_factory):
    return trained_and_inferred(run, tmp_path_factory, "nsf", "  flow: nsf\n  num_bins: 7\n  tail_bound: 2.5\n"
                                "  embedding_features: [12]\n  theta_transform: probit\n")


def test_numpy_spline_flow_reproduces_the_stored_log_q(spline_flow):
    d, source = spline_flow
    with h5py.File(d / "flow.h5", "r") as f, h5py.File(d / "posterior.h5", "r") as p, \
            h5py.File(source / "06_observations_test.h5", "r") as o:
        assert f.attrs["architecture"] == "nsf" and f.attrs["theta_transform"] == "probit"
        assert int(f.attrs["spline_bins"]) == 7 and float(f.attrs["spline_tail_bound"]) == 2.5
        assert f["weights/transform_00/output_weight"].shape == (5 * 20, 16)
        x, truth, stored = o["log_flux"][()].astype(np.float64), p["theta_true"][()], p["log_prob_true"][()]
        values = [numpy_log_q(f, truth[g], x[g]) for g in range(10)]
        np.testing.assert_allclose(values, stored[:10], atol=2e-3)
        assert abs(numpy_log_q(f, truth[1], x[0]) - stored[0]) > 0.1
        # The samples' stored log q is the density of the samples (the sampler inverts the splines).
        samples, log_q = p["samples"][0, :5], p["log_prob"][0, :5]
        np.testing.assert_allclose([numpy_log_q(f, t, x[0]) for t in samples], log_q, atol=2e-3)
