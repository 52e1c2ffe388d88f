"""Bad input and interrupted work (issue 19): a clear error naming the file and what was
expected, nothing partial left behind, nothing silently used."""
import os
import shutil

import h5py
import numpy as np
import pytest

from digs_cli import ROOT, digs
from product_digest import content_digest, reseal

PRISTINE = ROOT / "Tests" / "fixtures" / "damaged-hdf5" / "pristine_02_theta_test.h5"


def leftovers(folder, name):
    return [p for p in os.listdir(folder) if p.startswith(f".{name}.partial-")]


@pytest.fixture(scope="module")
def ssp(tmp_path_factory):
    path = tmp_path_factory.mktemp("ssp") / "ssp.h5"
    digs("ssp", "import", "-o", path)
    return path


@pytest.mark.parametrize("columns", [4, 1])
def test_theta_with_fewer_columns_than_parameters_is_refused(tmp_path, ssp, columns):
    theta = tmp_path / "theta.h5"
    shutil.copy(PRISTINE, theta)
    with h5py.File(theta, "r+") as f:
        attrs, data = dict(f["theta"].attrs), f["theta"][()][:, :columns]
        del f["theta"]
        d = f.create_dataset("theta", data=data)
        for k, v in attrs.items():
            d.attrs[k] = v
    reseal(theta)  # a consistent file (digest and all) whose θ disagrees with its parameter names
    out = tmp_path / "sed.h5"
    result = digs("simulate", "--theta", theta, "--ssp", ssp, "-o", out, check=False)
    assert result.returncode == 1, result.stderr
    assert str(theta) in result.stderr and f"[20, {columns}]" in result.stderr and "lists 5 parameters" in result.stderr
    assert not out.exists() and not leftovers(tmp_path, "sed.h5")


def test_stale_partials_of_dead_processes_are_removed_and_live_ones_kept(tmp_path, ssp):
    dead = 4_000_000
    while True:  # a pid with no process
        try:
            os.kill(dead, 0)
            dead -= 1
        except ProcessLookupError:
            break
        except PermissionError:
            dead -= 1
    stale = tmp_path / f".sed.h5.partial-{dead}-12345"
    live = tmp_path / f".sed.h5.partial-{os.getpid()}-67890"
    other = tmp_path / f".other.h5.partial-{dead}-1"
    for p in (stale, live, other):
        p.write_bytes(b"\0" * 2_000_000)
    result = digs("simulate", "--theta", PRISTINE, "--ssp", ssp, "-o", tmp_path / "sed.h5")
    assert not stale.exists() and f"removed {stale}" in result.stderr and f"process {dead}" in result.stderr
    assert live.exists() and other.exists()


def test_an_unfinished_flow_is_refused_unless_asked(run, tmp_path):
    d, pipeline = run
    flow = tmp_path / "flow.h5"
    shutil.copy(d / "05_flow.h5", flow)
    with h5py.File(flow, "r+") as f:
        assert "state/parameters" in f
        f.attrs["training_finished"] = 0
    out = tmp_path / "posterior.h5"
    result = digs("infer", "-c", pipeline, "--flow", flow, "-o", out, "--samples", 20, check=False)
    assert result.returncode == 1 and "training did not finish" in result.stderr and "--allow-unfinished" in result.stderr
    assert str(flow) in result.stderr and not out.exists()
    result = digs("infer", "-c", pipeline, "--flow", flow, "-o", out, "--samples", 20, "--allow-unfinished")
    assert "warning" in result.stderr and out.exists()


@pytest.mark.parametrize("option, value, words", [
    ("--redshift", "-1", "--redshift must be a number in (0, 10), not -1.0"),
    ("--redshift", "nan", "--redshift must be a number in (0, 10), not nan"),
    ("--ebv", "-5", "--ebv must be a number of magnitudes in [0, 10), not -5.0"),
    ("--omega-m", "-2", "--omega-m must be in [0, 1], not -2.0"),
    ("--h0", "0", "--h0 must be a positive number"),
])
def test_negative_and_impossible_option_values_get_their_own_message(tmp_path, option, value, words):
    result = digs("ingest", option, value, tmp_path / "spec.fits", "-o", tmp_path / "obs.h5", check=False)
    assert result.returncode != 0 and words in result.stderr, result.stderr
    assert "Missing value" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_named_plainly(tmp_path, ssp):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    result = digs("simulate", "--theta", PRISTINE, "--ssp", ssp, "-o", folder / "sed.h5", check=False)
    folder.chmod(0o700)
    assert result.returncode == 1 and "cannot be written" in result.stderr and "NSCocoaErrorDomain" not in result.stderr


def test_an_uncreatable_folder_is_named_plainly(tmp_path, ssp):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = digs("simulate", "--theta", PRISTINE, "--ssp", ssp, "-o", blocker / "sub" / "sed.h5", check=False)
    assert result.returncode == 1, result.stderr
    assert "cannot be written" in result.stderr and "NSCocoaErrorDomain" not in result.stderr and "cannot be read" not in result.stderr


def test_a_second_run_on_one_output_folder_is_refused_with_the_first_ones_pid(tmp_path):
    import fcntl
    import subprocess
    from conftest import smoke_pipeline
    from digs_cli import DIGS
    out = tmp_path / "out"
    out.mkdir()
    pipeline = smoke_pipeline(tmp_path, out)
    with open(out / ".digs-run.lock", "w") as holder:  # what a running `digs run` holds
        fcntl.flock(holder, fcntl.LOCK_EX)
        holder.write(f"{os.getpid()}\n")
        holder.flush()
        result = digs("run", pipeline, "--until", "ssp", check=False)
        assert result.returncode == 1 and f"pid {os.getpid()}" in result.stderr and str(out) in result.stderr
        assert not (out / "01_ssp_library.h5").exists()
        digs("run", pipeline, "--dry-run")  # a dry run writes nothing and needs no lock
    # a run killed with SIGKILL leaves no lock behind
    first = subprocess.Popen([str(DIGS), "run", str(pipeline), "--until", "ssp"], stderr=subprocess.DEVNULL)
    first.kill()
    first.wait()
    digs("run", pipeline, "--until", "ssp")
    assert (out / "01_ssp_library.h5").exists()


def test_a_tampered_input_is_refused_before_a_stage_trusts_it(run, tmp_path, ssp):
    d, _ = run
    for name in ("02_theta_test.h5", "05_flow.h5", "07_posterior_test.h5"):  # the digest, recomputed independently
        with h5py.File(d / name, "r") as f:
            assert content_digest(d / name) == f.attrs["content_digest"], name
    theta = tmp_path / "theta.h5"
    shutil.copy(PRISTINE, theta)
    with h5py.File(theta, "r+") as f:
        f["theta"][3, 0] = 11.0  # inside the prior: only the digest can tell
    result = digs("simulate", "--theta", theta, "--ssp", ssp, "-o", tmp_path / "sed.h5", check=False)
    assert result.returncode == 1 and "content_digest" in result.stderr and str(theta) in result.stderr
    d, pipeline = run
    flow = tmp_path / "flow.h5"
    shutil.copy(d / "05_flow.h5", flow)
    with h5py.File(flow, "r+") as f:
        paths = []
        f.visititems(lambda n, o: paths.append(n) if isinstance(o, h5py.Dataset) and n.endswith("output_weight") else None)
        f[paths[0]][0, 0] = np.nan
    out = tmp_path / "posterior.h5"
    result = digs("infer", "-c", pipeline, "--flow", flow, "-o", out, "--samples", 20, check=False)
    assert result.returncode == 1 and "content_digest" in result.stderr and not out.exists()
