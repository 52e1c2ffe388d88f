"""The smoke pipeline through Snakemake with 4 shards on 2 cores equals `digs run` bit for bit.

Every product merged from shards by `digs merge` must have the same content digest as the
one `digs run` makes unsharded; the catalogs must hold the same table. Also: `digs merge`
refuses incomplete or mismatched shard sets.
"""
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from astropy.table import Table

from conftest import smoke_pipeline
from digs_cli import DIGS, ROOT, digs

SNAKEMAKE = Path(sys.executable).parent / "snakemake"


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    d = tmp_path_factory.mktemp("snake")
    pipeline = smoke_pipeline(d, d / "run")
    digs("run", pipeline)
    r = subprocess.run([str(SNAKEMAKE), "-s", str(ROOT / "pipelines" / "Snakefile"), "--cores", "2", "-q",
                        "--directory", str(d), "--config", f"pipeline={pipeline}", "shards=4",
                        f"output={d / 'snake'}", f"digs={DIGS}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return d / "run", d / "snake"


def test_merged_products_equal_the_unsharded_run(both):
    run, snake = both
    names = sorted(p.name for p in run.glob("*.h5"))
    assert len(names) == 11 and names == sorted(p.name for p in snake.glob("*.h5"))
    for name in names:
        with h5py.File(run / name, "r") as a, h5py.File(snake / name, "r") as b:
            assert a.attrs["content_digest"] == b.attrs["content_digest"], name
    with h5py.File(run / "07_posterior_test.h5", "r") as a, h5py.File(snake / "07_posterior_test.h5", "r") as b:
        np.testing.assert_array_equal(a["samples"][()], b["samples"][()])
        roles = [i["role"] for i in json.loads(b.attrs["inputs"])]
        assert roles[-4:] == ["shard 0/4", "shard 1/4", "shard 2/4", "shard 3/4"]
    assert digs("validate", *sorted(snake.glob("*.h5"))).stdout.count("valid") == 11


def test_catalogs_hold_the_same_table(both):
    run, snake = both
    a = Table.read(run / "catalog_test.fits", hdu=1, unit_parse_strict="silent", mask_invalid=False)
    b = Table.read(snake / "catalog_test.fits", hdu=1, unit_parse_strict="silent", mask_invalid=False)
    assert a.colnames == b.colnames
    for c in a.colnames:
        np.testing.assert_array_equal(np.asarray(a[c]), np.asarray(b[c]))


def test_merge_refuses_incomplete_or_mismatched_shards(both, tmp_path):
    run, _ = both
    pipeline = run.parent / "smoke.yaml"
    for i in range(3):
        digs("infer", "-c", pipeline, "--shard", f"{i}/3", "-o", tmp_path / f"p{i}.h5")
    r = digs("merge", tmp_path / "p0.h5", tmp_path / "p2.h5", "-o", tmp_path / "m.h5", check=False)
    assert r.returncode != 0 and "exactly once" in r.stderr and not (tmp_path / "m.h5").exists()
    digs("infer", "-c", pipeline, "--shard", "1/3", "--seed", 5, "-o", tmp_path / "other.h5")
    r = digs("merge", tmp_path / "p0.h5", tmp_path / "other.h5", tmp_path / "p2.h5", "-o", tmp_path / "m.h5", check=False)
    assert r.returncode != 0 and "different runs" in r.stderr
    r = digs("merge", run / "07_posterior_test.h5", "-o", tmp_path / "m.h5", check=False)
    assert r.returncode != 0 and "--shard" in r.stderr
    r = digs("infer", "-c", pipeline, "--shard", "3/3", "-o", tmp_path / "x.h5", check=False)
    assert r.returncode != 0 and "--shard" in r.stderr
