"""The flow product is self-contained: a numpy re-implementation of q(θ | x) from nothing but
05_flow.h5 (weights, permutations, transforms) reproduces the log q(θ_true | x) that
`digs infer` stores, for a flow with every option (embedding network, level_shape context)."""
import h5py
import numpy as np
import pytest

from conftest import smoke_pipeline
from digs_cli import digs


def softplus(a):
    return np.logaddexp(0.0, a)


def numpy_log_q(flow, theta, x):
    """log q(θ | x) in physical units, written from the flow_model schema and the README."""
    f = flow
    low, high = f["transforms/prior_low"][()], f["transforms/prior_high"][()]
    t = np.clip((theta - low) / (high - low), 1e-12, 1 - 1e-12)
    y = np.log(t) - np.log1p(-t)
    z_mean, z_std = f["transforms/z_mean"][()], f["transforms/z_std"][()]
    u = (y - z_mean) / z_std
    log_jac = np.sum(-np.log(high - low) - np.log(t) - np.log1p(-t) - np.log(z_std))
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
        scale = softplus(o[0::2]) + 1e-3
        z = scale * u + o[1::2]
        log_det += np.log(scale).sum()
        u = z[perms[k]]
    return -0.5 * u @ u - 0.5 * len(u) * np.log(2 * np.pi) + log_det + log_jac


@pytest.fixture(scope="module")
def flow_with_options(run, tmp_path_factory):
    source, _ = run
    d = tmp_path_factory.mktemp("options")
    pipeline = smoke_pipeline(d, d, [("  num_transforms: 3\n", "  num_transforms: 3\n  embedding_features: [12, 6]\n"
                                                                "  context_transform: level_shape\n")])
    digs("train", "-c", pipeline, "--data", source / "04_augmented.h5", "-o", d / "flow.h5")
    digs("infer", "-c", pipeline, "--observations", source / "06_observations_test.h5", "--flow", d / "flow.h5",
         "--ssp", source / "01_ssp_library.h5", "--samples", 50, "-o", d / "posterior.h5")
    return d, source


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
