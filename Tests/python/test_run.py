"""`digs run`: a whole pipeline, up-to-date checks, partial runs, interruption.

The smoke pipeline runs once into a temporary folder; every check reads the products and
the run log independently (h5py, json) or through `digs validate`.
"""
import json
import os
import signal
import subprocess
import time

import h5py
import pytest

from conftest import smoke_pipeline
from digs_cli import DIGS, ROOT, digs

ALL = ["ssp", "sample-prior-train", "sample-prior-test", "simulate-train", "simulate-test", "augment", "train",
       "observe", "infer", "sbc", "mcmc", "compare", "export"]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    p = smoke_pipeline(d, d / "out")
    r = digs("run", p)
    assert "ran 13 of 13 stages" in r.stdout
    return p, d / "out"


def log(out):
    return {e["stage"]: e for e in json.loads((out / "run_log.json").read_text())}


def test_every_product_is_made_and_valid(pipeline):
    _, out = pipeline
    products = sorted(out.glob("*.h5"))
    assert len(products) == 11
    assert digs("validate", *products).stdout.count("valid") == 11
    assert (out / "catalog_test.fits").exists()
    entries = log(out)
    assert list(entries) == ALL
    assert all(e["status"] == "ran" and e["seconds"] > 0 and e["peakMemoryMB"] > 10 for e in entries.values())


def test_an_unchanged_pipeline_does_nothing_and_says_so(pipeline):
    p, out = pipeline
    before = {f: f.stat().st_mtime_ns for f in out.glob("*.h5")}
    r = digs("run", p)
    assert "nothing to do" in r.stdout
    assert before == {f: f.stat().st_mtime_ns for f in out.glob("*.h5")}


def test_one_setting_reruns_exactly_the_stages_downstream(pipeline, tmp_path):
    p, out = pipeline
    changed = tmp_path / "changed.yaml"
    changed.write_text(p.read_text().replace("  samples: 200", "  samples: 120"))
    plan = digs("run", changed, "--dry-run").stdout
    # The MCMC's screened start (the default) reads the NPE samples, so it is downstream of infer.
    assert [line.split()[2] for line in plan.splitlines() if line.startswith("would run")] == ["infer", "sbc", "mcmc", "compare", "export"]
    r = digs("run", changed)
    assert "ran 5 of 13 stages" in r.stdout and "(infer, sbc, mcmc, compare, export)" in r.stdout
    with h5py.File(out / "07_posterior_test.h5", "r") as f:
        assert f["samples"].shape[1] == 120
    with h5py.File(out / "09_mcmc_test.h5", "r") as f:
        assert f.attrs["screened_npe_samples"] == 1
    # Back to the original setting: the same five again, then nothing.
    assert "ran 5 of 13" in digs("run", p).stdout
    assert "nothing to do" in digs("run", p).stdout


def test_from_and_until_select_stages(pipeline):
    p, out = pipeline
    r = digs("run", p, "--from", "sbc", "--until", "sbc")
    assert "ran 1 of 1 stages" in r.stdout and "(sbc)" in r.stdout
    # sbc is deterministic: its product is the same, so nothing downstream is stale.
    assert "nothing to do" in digs("run", p).stdout
    r = digs("run", p, "--from", "nonsense", check=False)
    assert r.returncode != 0 and "--from" in r.stderr and "infer" in r.stderr


def test_an_interrupted_run_continues_where_it_stopped(pipeline, tmp_path):
    p, _ = pipeline
    text = p.read_text().replace(str(p.parent / "out"), str(tmp_path / "out"))
    q = tmp_path / "smoke.yaml"
    q.write_text(text)
    proc = subprocess.Popen([str(DIGS), "run", str(q)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while not (tmp_path / "out" / "03_sed_train.h5").exists() and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C: the runner and its stage
    proc.wait()
    finished = sorted(f.name for f in (tmp_path / "out").glob("*.h5"))
    assert finished, "nothing finished before the interrupt"
    assert digs("validate", *[tmp_path / "out" / f for f in finished]).stdout.count("valid") == len(finished)
    r = digs("run", q)
    ran = [s for s, e in log(tmp_path / "out").items() if e["status"] == "ran"]
    assert "ssp" in r.stderr and "up to date" in r.stderr
    assert "nothing to do" in digs("run", q).stdout
    assert len(ran) == 13  # the log keeps the latest run of every stage
