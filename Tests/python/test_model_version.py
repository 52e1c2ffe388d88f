"""Products record the forward-model version and the star-formation-history family
(`sfh_family`) they were simulated with, and a flow is never paired with observations or
chains of another model (issue: forward-model fidelity, item 5; issue 33, item 1).

Older products are made here by removing (version 1, as products written before versions were
recorded) or changing the `forward_model_version` root attribute with h5py.
"""
import shutil

import h5py
import pytest

from digs_cli import digs

CURRENT = 2


def with_version(source, target, version):
    shutil.copy(source, target)
    with h5py.File(target, "r+") as f:
        if version is None:
            del f.attrs["forward_model_version"]
        else:
            f.attrs["forward_model_version"] = version
    return target


def test_every_simulated_product_records_the_model_version(run):
    d, _ = run
    for name in ("03_sed_train.h5", "03_sed_test.h5", "04_augmented.h5", "05_flow.h5", "06_observations_test.h5",
                 "07_posterior_test.h5"):
        with h5py.File(d / name, "r") as f:
            assert f.attrs["forward_model_version"] == CURRENT, name
    out = digs("validate", d / "05_flow.h5", d / "07_posterior_test.h5").stdout
    assert out.count("valid") == 2


@pytest.mark.parametrize("version", [None, 3])
def test_infer_refuses_a_flow_of_another_model(run, tmp_path, version):
    d, pipeline = run
    flow = with_version(d / "05_flow.h5", tmp_path / "flow.h5", version)
    out = tmp_path / "posterior.h5"
    result = digs("infer", "-c", pipeline, "--flow", flow, "-o", out, check=False)
    assert result.returncode != 0
    assert "forward_model_version" in result.stderr and str(flow) in result.stderr
    assert f"is {version or 1}" in result.stderr
    assert not out.exists()


def test_infer_and_mcmc_refuse_observations_of_another_model(run, tmp_path):
    d, pipeline = run
    observations = with_version(d / "06_observations_test.h5", tmp_path / "obs.h5", None)
    for stage in ("infer", "mcmc"):
        out = tmp_path / f"{stage}.h5"
        result = digs(stage, "-c", pipeline, "--observations", observations, "-o", out, check=False)
        assert result.returncode != 0, stage
        assert "forward_model_version" in result.stderr and "is 1" in result.stderr, result.stderr
        assert not out.exists()


def test_real_spectra_carry_no_model_version_and_are_not_refused(run, tmp_path):
    d, pipeline = run
    observations = tmp_path / "real.h5"
    shutil.copy(d / "06_observations_test.h5", observations)
    with h5py.File(observations, "r+") as f:  # what `digs ingest` writes: no noise model, no version
        del f.attrs["forward_model_version"]
        del f.attrs["noise_model"]
    digs("infer", "-c", pipeline, "--observations", observations, "-o", tmp_path / "posterior.h5", "--samples", 20)


def with_family(source, target, family):
    shutil.copy(source, target)
    with h5py.File(target, "r+") as f:
        f.attrs["sfh_family"] = family
    return target


def test_products_record_their_sfh_family_and_another_family_is_refused(run, tmp_path):
    d, pipeline = run
    for name in ("03_sed_train.h5", "04_augmented.h5", "05_flow.h5", "06_observations_test.h5",
                 "07_posterior_test.h5"):
        with h5py.File(d / name, "r") as f:
            assert f.attrs["sfh_family"] == "delayed_tau", name
    flow = with_family(d / "05_flow.h5", tmp_path / "flow.h5", "continuity")
    out = tmp_path / "posterior.h5"
    result = digs("infer", "-c", pipeline, "--flow", flow, "-o", out, check=False)
    assert result.returncode == 1 and not out.exists()
    assert "sfh_family" in result.stderr and "'continuity'" in result.stderr and "delayed_tau" in result.stderr, result.stderr
    observations = with_family(d / "06_observations_test.h5", tmp_path / "obs.h5", "continuity")
    for stage in ("infer", "mcmc"):
        out = tmp_path / f"{stage}.h5"
        result = digs(stage, "-c", pipeline, "--observations", observations, "-o", out, check=False)
        assert result.returncode == 1 and not out.exists(), stage
        assert "sfh_family" in result.stderr and str(observations) in result.stderr, result.stderr
