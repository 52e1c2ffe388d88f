"""The hostile inputs of the reliability audit (Tests/fixtures/hostile-inputs/README.md): each one
crashed, hung or silently misread; each must now exit 1 with a message naming the file, the field
and the value, and leave no product or partial file behind."""
import shutil

import numpy as np
import pytest

from digs_cli import ROOT, digs

HOSTILE = ROOT / "Tests" / "fixtures" / "hostile-inputs"


def refused(result, *words):
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Error:" in result.stderr and "Backtrac" not in result.stderr, result.stderr[-2000:]
    for word in words:
        assert word in result.stderr, (word, result.stderr[-2000:])


@pytest.mark.parametrize("name, words", [
    ("sdss_coadd_naxis2_1e9.fits", ["HDU 2 data", "NAXIS2 = 1000000000", "the file has 748800 bytes"]),
    ("sdss_truncated_114400.fits", ["HDU 2 data", "NAXIS2 = 3848", "ending at byte 138240", "the file has 114400 bytes"]),
    ("desi_bflux_naxis2_1e9/coadd-sv3-dark-26065.fits", ["HDU 5 data", "NAXIS2 = 1000000000", "truncated or its header's sizes are damaged"]),
])
def test_fits_sizes_are_checked_against_the_file_before_anything_is_read(tmp_path, name, words):
    out = tmp_path / "o.h5"
    for _ in range(4):   # the truncated file crashed intermittently: every run must refuse it
        r = digs("ingest", "-c", ROOT / "pipelines" / "sdss.yaml", HOSTILE / name, "-o", out, check=False)
        refused(r, str(HOSTILE / name), *words)
        assert not out.exists() and not list(tmp_path.glob(".*partial*"))


def test_a_flow_whose_attributes_do_not_describe_its_weights_is_refused(run, tmp_path):
    d, pipeline = run
    flow = HOSTILE / "flow_num_transforms_negative.h5"
    refused(digs("infer", "-c", pipeline, "--flow", flow, "-o", tmp_path / "p.h5", check=False),
            str(flow), "root attribute 'num_transforms'", "is -1")
    assert not (tmp_path / "p.h5").exists()
    r = digs("validate", flow, check=False)
    assert r.returncode == 1 and "num_transforms" in r.stdout and "is -1" in r.stdout, r.stdout
    # The same flow with a hidden width that is not its weights' (10^9 aborted on allocation).
    import h5py
    for attribute, value, words in [("num_transforms", 3, []), ("hidden_features", 10 ** 9, ["hidden_features", "1000000000", "16 hidden units"]),
                                    ("hidden_features", -16, ["hidden_features", "-16"]), ("num_transforms", 7, ["num_transforms", "is 7"])]:
        copy = tmp_path / f"flow-{attribute}-{value}.h5"
        shutil.copy(flow, copy)
        with h5py.File(copy, "r+") as f:
            f.attrs["num_transforms"] = 3
            f.attrs[attribute] = value
        r = digs("infer", "-c", pipeline, "--flow", copy, "-o", tmp_path / "p.h5", "--force", check=False)
        if not words:   # the repaired flow loads (the fixture differs from a good flow only there)
            assert r.returncode == 0, r.stderr[-2000:]
        else:
            refused(r, str(copy), *words)


def test_a_posterior_whose_names_were_swapped_is_refused_by_every_reader(run, tmp_path):
    d, pipeline = run
    posterior = HOSTILE / "posterior_parameter_names_swapped.h5"
    words = ["root attribute 'parameter_names'", "['t_age', 'log_mass'".replace("'", '"'), "another order"]
    refused(digs("export", "-c", pipeline, "--posterior", posterior, "-o", tmp_path / "c.fits", check=False), str(posterior), *words)
    refused(digs("sbc", "-c", pipeline, "--posterior", posterior, "-o", tmp_path / "s.h5", check=False), str(posterior), *words)
    assert not (tmp_path / "c.fits").exists() and not (tmp_path / "s.h5").exists()
    r = digs("validate", posterior, check=False)
    assert r.returncode == 1 and "another order" in r.stdout, r.stdout


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    import time
    start = time.monotonic()
    r = digs("run", "--dry-run", HOSTILE / "pipeline_alias_bomb.yaml", check=False)
    assert time.monotonic() - start < 10
    refused(r, str(HOSTILE / "pipeline_alias_bomb.yaml"), "YAML aliases", "more than 100000 nodes")


def test_a_fifo_is_refused_wherever_a_file_is_read(run, tmp_path):
    """A FIFO (named pipe) as a spectrum, an object table, a row's file, a product or a pipeline
    file: opening it for reading blocked forever, leaving a .partial; it is refused at once."""
    import os
    import time
    d, pipeline = run
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    table = tmp_path / "objects.csv"
    table.write_text(f"file,redshift\n{fifo},0.05\n")
    sdss = ROOT / "pipelines" / "sdss.yaml"
    for args in (["ingest", "-c", sdss, fifo, "-o", tmp_path / "o.h5"], ["ingest", "-c", sdss, "--table", fifo, "-o", tmp_path / "o.h5"],
                 ["ingest", "-c", sdss, "--table", table, "--skip-bad", "-o", tmp_path / "t.h5"],
                 ["inspect", fifo], ["infer", "-c", pipeline, "--flow", fifo, "-o", tmp_path / "p.h5"],
                 ["run", "--dry-run", fifo], ["validate", fifo]):
        start = time.monotonic()
        r = digs(*args, check=False)
        assert time.monotonic() - start < 20, args
        if "--skip-bad" in args:   # the bad row is set aside with its reason, nothing else to ingest
            assert "FIFO" in r.stderr + r.stdout, (args, r.stderr[-1000:])
            continue
        assert r.returncode == 1 and "FIFO" in r.stderr + r.stdout, (args, r.returncode, r.stderr[-1000:])
    assert not list(tmp_path.glob(".*partial*")) and not (tmp_path / "o.h5").exists() and not (tmp_path / "p.h5").exists()


def test_an_output_that_is_an_input_is_refused_whatever_force_says(run, tmp_path):
    """`-o` naming one of the stage's own inputs (here through another path, a symbolic link)
    replaced the input; it is refused, --force or not, and the input is unchanged."""
    import hashlib
    import os
    d, pipeline = run
    spectrum = tmp_path / "spec.fits"
    shutil.copy(HOSTILE / "sdss_truncated_114400.fits", spectrum)   # any file: the check comes first
    posterior = tmp_path / "posterior.h5"
    shutil.copy(d / "07_posterior_test.h5", posterior)
    link = tmp_path / "link.h5"
    os.symlink(posterior, link)
    cases = [
        (["ingest", "-c", ROOT / "pipelines" / "sdss.yaml", spectrum, "-o", spectrum, "--force"], spectrum),
        (["infer", "-c", pipeline, "--observations", d / "06_observations_test.h5", "-o", d / "05_flow.h5", "--force"], d / "05_flow.h5"),
        (["export", "-c", pipeline, "--posterior", posterior, "-o", link, "--force"], posterior),
        (["sbc", "-c", pipeline, "--posterior", link, "-o", posterior, "--force"], posterior),
    ]
    for args, victim in cases:
        before = hashlib.sha256(victim.read_bytes()).hexdigest()
        refused(digs(*args, check=False), "-o/--output", "is the input", "--force never replaces an input")
        assert hashlib.sha256(victim.read_bytes()).hexdigest() == before, args


@pytest.mark.parametrize("dataset, index", [("transforms/x_std", 3), ("transforms/z_std", 1), ("transforms/x_mean", 0),
                                            ("weights/transform_01/output_weight", 5)])
def test_a_flow_with_non_finite_numbers_is_refused_not_turned_into_nan_posteriors(run, tmp_path, dataset, index):
    """NaN in x_std (resealed, with importance_samples 0) gave all-NaN percentiles, PPC p-value
    1.0 and flag 0 with exit 0; every number the flow maps draws with must be finite."""
    import h5py
    from product_digest import reseal
    d, pipeline = run
    flow = tmp_path / "flow.h5"
    shutil.copy(d / "05_flow.h5", flow)
    with h5py.File(flow, "r+") as f:
        values = f[dataset][()]
        values.flat[index] = np.nan
        f[dataset][...] = values
    reseal(flow)
    r = digs("infer", "-c", pipeline, "--flow", flow, "-o", tmp_path / "p.h5", check=False)
    refused(r, str(flow), f"dataset '{dataset}'", "nan")
    assert not (tmp_path / "p.h5").exists()
    r = digs("validate", flow, check=False)
    assert r.returncode == 1 and dataset in r.stdout, r.stdout


@pytest.mark.parametrize("damage, words", [
    (lambda f: f["mask"].__setitem__((0, 3), 2), ["dataset 'mask'", "is 2 for galaxy 0 at pixel 3"]),
    (lambda f: f["wavelength"].__setitem__(slice(None), f["wavelength"][()][::-1]), ["dataset 'wavelength'", "does not increase at pixel 1"]),
    (lambda f: f["log_flux_sigma"].__setitem__((2, 5), -0.01), ["dataset 'log_flux_sigma'", "galaxy 2 at pixel 5", "σ > 0"]),
    (lambda f: f["log_flux"].__setitem__((1, 7), np.nan), ["dataset 'log_flux'", "is nan for galaxy 1 at pixel 7"]),
    (lambda f: f["ids"].__setitem__(4, f["ids"][0]), ["dataset 'ids'", "galaxies 0 and 4", "unique"]),
])
def test_validate_checks_what_an_observation_set_means(run, tmp_path, damage, words):
    """`digs validate` called broken observation sets valid (their layout was right): masks of 2,
    reversed wavelengths, σ < 0, NaN at usable pixels, duplicated ids are violations now."""
    import h5py
    from product_digest import reseal
    d, _ = run
    path = tmp_path / "obs.h5"
    shutil.copy(d / "06_observations_test.h5", path)
    assert digs("validate", path).returncode == 0
    with h5py.File(path, "r+") as f:
        damage(f)
    reseal(path)
    r = digs("validate", path, check=False)
    assert r.returncode == 1, r.stdout
    for word in words:
        assert word in r.stdout, (word, r.stdout)


def test_output_paths_and_non_finite_settings_get_clear_messages_before_any_work(run, tmp_path):
    """`-o` naming a directory said "use --force" and failed only after computing everything;
    `-o` below a file gave NSCocoaErrorDomain 512; YAML .nan gave an EncodingError with no file
    or line; `--dry-run` created the output folder."""
    import time
    d, pipeline = run
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    for output, words in [(tmp_path / "folder", ["is a directory", "name the file to write"]),
                          (tmp_path / "file" / "p.h5", ["lies inside", "which is a file, not a folder"])]:
        start = time.monotonic()
        refused(digs("infer", "-c", pipeline, "-o", output, check=False), str(output), "cannot be written", *words)
        assert time.monotonic() - start < 5   # refused before the flow or the SSP library is read
    text = pipeline.read_text()
    assert "wavelength_step: 50 " in text
    nan = tmp_path / "nan.yaml"
    nan.write_text(text.replace("wavelength_step: 50 ", "wavelength_step: .nan "))
    refused(digs("run", "--dry-run", nan, check=False), str(nan), "model.instrument.wavelength_step (line 21)", "is nan", "finite")
    fresh = tmp_path / "fresh.yaml"
    fresh.write_text(text.replace(f"output: {d}", f"output: {tmp_path / 'not-yet'}"))
    assert "would run ssp" in digs("run", "--dry-run", fresh).stdout
    assert not (tmp_path / "not-yet").exists()
