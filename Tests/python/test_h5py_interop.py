"""Independent reading of DIGS products with h5py.

The Swift test `InteropFixtureTests` writes `observation_set.h5` and `expected.json` into
$DIGS_INTEROP_DIR (default .build/interop). Here h5py, not DIGS, reads the product back:
values, dtypes, shapes, units, provenance attributes, and the content digest recomputed
from the documented algorithm (ProductIO/ContentDigest.swift).
"""
import hashlib
import json
import math
import os
import pathlib

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIR = pathlib.Path(os.environ.get("DIGS_INTEROP_DIR", ROOT / ".build" / "interop"))
DTYPES = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64, "uint8": np.uint8}


def load():
    expected = json.loads((DIR / "expected.json").read_text())
    return expected, h5py.File(DIR / expected["file"], "r")


def as_str(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def test_values_dtypes_shapes_and_units():
    expected, f = load()
    for name, spec in expected["datasets"].items():
        d = f[name]
        assert list(d.shape) == spec["shape"], name
        assert as_str(d.attrs["units"]) == spec["units"], name
        assert isinstance(d.attrs["description"], str) and d.attrs["description"], name
        if spec["dtype"] == "string":
            assert h5py.check_string_dtype(d.dtype) is not None, name
            assert [as_str(v) for v in d[()]] == spec["data"], name
            continue
        assert d.dtype == np.dtype(DTYPES[spec["dtype"]]).newbyteorder("<"), name
        want = np.array([math.nan if v == "nan" else v for v in spec["data"]], dtype=DTYPES[spec["dtype"]])
        np.testing.assert_array_equal(d[()].ravel(), want, err_msg=name)


def test_chunking_and_compression_of_numeric_datasets():
    _, f = load()
    d = f["log_flux"]
    assert d.chunks is not None
    assert d.compression == "gzip" and d.shuffle


def test_provenance_root_attributes():
    expected, f = load()
    a = f.attrs
    assert a["digs_product"] == expected["kind"]
    major, minor, patch = (int(x) for x in a["schema_version"].split("."))
    assert major == 1
    assert a["seed"] == expected["seed"]
    assert a["config"] == expected["config"]
    inputs = json.loads(a["inputs"])
    assert inputs == [{"role": "source", "path": "none", "content_digest": "sha256:00"}]
    assert a["created"].endswith("Z") and "T" in a["created"]
    assert a["digs_version"]
    assert list(f["log_flux"].attrs["axes"]) == ["galaxy", "pixel"]


def dataset_digest(d):
    h = hashlib.sha256()
    if h5py.check_string_dtype(d.dtype) is not None:
        for v in d[()]:
            b = v if isinstance(v, bytes) else str(v).encode()
            h.update(len(b).to_bytes(8, "little"))
            h.update(b)
    else:
        h.update(np.ascontiguousarray(d[()]).astype(d.dtype.newbyteorder("<")).tobytes())
    return h.hexdigest()


def test_content_digest_recomputed_independently():
    _, f = load()
    paths = []
    f.visititems(lambda name, obj: paths.append(name) if isinstance(obj, h5py.Dataset) else None)
    outer = hashlib.sha256()
    names = {np.dtype(v).newbyteorder("<").str: k for k, v in DTYPES.items()}
    for name in sorted(paths):
        d = f[name]
        dtype = "string" if h5py.check_string_dtype(d.dtype) is not None else names[d.dtype.newbyteorder("<").str]
        shape = "[" + ", ".join(str(s) for s in d.shape) + "]"
        outer.update(f"{name}\t{dtype}\t{shape}\t{dataset_digest(d)}\n".encode())
    assert f.attrs["content_digest"] == "sha256:" + outer.hexdigest()
