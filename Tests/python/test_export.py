"""`digs export`: the FITS catalog checked by fitsverify, astropy, STILTS and a golden header.

Values are compared with the posterior_samples product read by h5py. The golden header
(`golden/catalog_header.txt`: every keyword of both tables with its value and comment, the
run-dependent ones — dates, digests, checksums — masked) is re-recorded on purpose with
`DIGS_RECORD_GOLDEN=1 make python-test`.
"""
import os
import re
import shutil
import subprocess
import warnings

import h5py
import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

from conftest import SAMPLES
from product_digest import reseal
from digs_cli import ROOT, digs

GOLDEN = ROOT / "Tests" / "python" / "golden" / "catalog_header.txt"
VOLATILE = {"DATE", "CHECKSUM", "DATASUM", "POSTDIG", "FLOWDIG", "OBSDIG", "SSPDIG", "SBCDIG", "POSTTIME", "CREATOR"}


@pytest.fixture(scope="module")
def catalog(run):
    d, pipeline = run
    digs("export", "-c", pipeline, "--samples")
    return d / "catalog_test.fits"


def test_fitsverify_reports_no_errors_and_no_warnings(catalog):
    out = subprocess.run(["fitsverify", str(catalog)], capture_output=True, text=True).stdout
    assert "Verification found 0 warning(s) and 0 error(s)." in out, out


def test_astropy_reads_the_catalog_with_default_arguments_without_a_warning(catalog):
    """Every TUNIT parses in astropy: no UnitsWarning (or any other) with default arguments."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for hdu in ("DIGS_POSTERIORS", "DIGS_CALIBRATION"):
            Table.read(catalog, hdu=hdu)


def test_checksums_verify_in_astropy(catalog):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a checksum mismatch is a warning in astropy
        with fits.open(catalog, checksum=True) as hdus:
            assert [h.name for h in hdus] == ["PRIMARY", "DIGS_POSTERIORS", "DIGS_CALIBRATION"]


def test_astropy_reads_columns_units_and_values(run, catalog):
    d, _ = run
    t = Table.read(catalog, hdu="DIGS_POSTERIORS")
    with h5py.File(d / "07_posterior_test.h5", "r") as f:
        names = [n.upper() for n in f.attrs["parameter_names"]]
        expected = ["ID"]
        for n in names:
            expected += [f"{n}_{s}" for s in ("P16", "P50", "P84", "MEAN", "STD", "MAP", "TRUE")]
        for n in ("LOGMSTAR", "MWAGE", "LOG_SFR100", "LOG_SSFR100", "T50", "T90"):
            expected += [f"{n}_{s}" for s in ("P16", "P50", "P84", "MEAN", "STD", "MAP")]
        expected += ["PPC_CHI2", "PPC_DOF", "PPC_PVALUE", "IS_ESS_FRAC", "PARETO_K", "FLAG", "SAMPLES"]
        assert t.colnames == expected
        assert all(re.fullmatch(r"[A-Z0-9_]+", c) for c in t.colnames)
        assert t["ID"].dtype.kind == "i" and t["ID"].dtype.itemsize == 8 and t["FLAG"].dtype == np.uint8
        assert t["LOG_MASS_P50"].dtype.kind == "f" and t["LOG_MASS_P50"].dtype.itemsize == 8
        np.testing.assert_array_equal(t["ID"], f["ids"][()])
        pct = f["percentiles"][()]
        for j, n in enumerate(names):
            np.testing.assert_array_equal(t[f"{n}_P16"], pct[:, 0, j])
            np.testing.assert_array_equal(t[f"{n}_P50"], pct[:, 1, j])
            np.testing.assert_array_equal(t[f"{n}_P84"], pct[:, 2, j])
            np.testing.assert_array_equal(t[f"{n}_MEAN"], f["mean"][:, j])
            np.testing.assert_array_equal(t[f"{n}_STD"], f["std"][:, j])
            np.testing.assert_array_equal(t[f"{n}_MAP"], f["map"][:, j])
            np.testing.assert_array_equal(t[f"{n}_TRUE"], f["theta_true"][:, j])
        np.testing.assert_array_equal(t["LOGMSTAR_P50"], f["derived/percentiles"][:, 1, 0])
        np.testing.assert_array_equal(t["FLAG"], f["flags"][()])
        np.testing.assert_array_equal(t["PPC_PVALUE"], f["ppc/pvalue"][()])
        np.testing.assert_array_equal(np.asarray(t["SAMPLES"]), f["samples"][()])
        assert t["SAMPLES"].shape == (60, SAMPLES, 5)
    assert t["T_AGE_P50"].unit == u.Gyr and t["MWAGE_P50"].unit == u.Gyr
    # Logarithmic quantities are dimensionless in TUNIT; their comment names the unit.
    assert t["LOG_MASS_P50"].unit is None and t["LOG_TAU_P50"].unit is None and t["LOGMSTAR_P50"].unit is None
    header = fits.getheader(catalog, "DIGS_POSTERIORS")
    fields = range(1, header["TFIELDS"] + 1)
    comment = {header[f"TTYPE{i}"]: header.get(f"TCOMM{i}", "") for i in fields}
    tunit = {header[f"TTYPE{i}"]: header.get(f"TUNIT{i}") for i in fields}
    assert comment["LOG_MASS_P50"].endswith("[log10 of solMass]") and comment["LOGMSTAR_P50"].endswith("[log10 of solMass]")
    assert comment["LOG_TAU_P50"].endswith("[log10 of Gyr]")
    assert tunit["LOG_MASS_P50"] in (None, "") and tunit["T_AGE_P50"] == "Gyr"
    assert t["LOG_Z_P50"].unit is None and t["DUST2_P50"].unit is None
    assert "dex" not in open(catalog, "rb").read().decode("latin-1")


def test_calibration_table_matches_the_sbc_product(run, catalog):
    d, _ = run
    t = Table.read(catalog, hdu="DIGS_CALIBRATION")
    with h5py.File(d / "08_sbc_test.h5", "r") as s:
        assert list(t["PARAMETER"]) == list(s.attrs["parameter_names"])
        np.testing.assert_array_equal(t["KS_PVALUE"], s["ks_pvalue"][()])
        np.testing.assert_array_equal(t["RMSE"], s["accuracy/rmse"][()])


def header_text(path):
    lines = []
    with fits.open(path) as hdus:
        for hdu in hdus:
            lines.append(f"== {hdu.name}")
            for card in hdu.header.cards:
                volatile = card.keyword in VOLATILE
                value = "<run>" if volatile else card.value
                comment = re.sub(r"\d{4}-\d\d-\d\dT[\d:]+", "<time>", card.comment)  # checksum comments carry times
                lines.append(f"{card.keyword:8} = {value!r:40} / {comment}")
    return "\n".join(lines) + "\n"


def test_header_matches_the_golden_file(catalog):
    text = header_text(catalog)
    if os.environ.get("DIGS_RECORD_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "catalog header changed; re-record with DIGS_RECORD_GOLDEN=1 if intended"


def test_nan_posteriors_survive_as_nan(run, tmp_path):
    d, pipeline = run
    bad = tmp_path / "obs.h5"
    shutil.copy(d / "06_observations_test.h5", bad)
    with h5py.File(bad, "r+") as f:
        f["log_flux"][5, 0] = np.inf
    reseal(bad)
    digs("infer", "-c", pipeline, "--samples", 20, "--observations", bad, "-o", tmp_path / "post.h5")
    digs("export", "-c", pipeline, "--posterior", tmp_path / "post.h5", "--no-calibration", "-o", tmp_path / "c.fits")
    t = Table.read(tmp_path / "c.fits", unit_parse_strict="silent", mask_invalid=False)  # NaN, not masked
    assert np.isnan(t["LOG_MASS_P50"][5]) and t["FLAG"][5] & 2 and not np.isnan(t["LOG_MASS_P50"][4])


def test_existing_catalog_is_kept_unless_forced(run, catalog, tmp_path):
    _, pipeline = run
    before = catalog.read_bytes()
    r = digs("export", "-c", pipeline, check=False)
    assert r.returncode != 0 and "catalog_test.fits" in r.stderr and "--force" in r.stderr
    assert catalog.read_bytes() == before
    # A calibration from another run is refused.
    post = tmp_path / "post.h5"
    digs("infer", "-c", pipeline, "--samples", 20, "--seed", 99, "-o", post)
    r = digs("export", "-c", pipeline, "--posterior", post, "-o", tmp_path / "c.fits", check=False)
    assert r.returncode != 0 and "different runs" in r.stderr and not (tmp_path / "c.fits").exists()


@pytest.mark.skipif(shutil.which("stilts") is None, reason="STILTS is not installed (make test installs it)")
def test_stilts_reads_the_catalog_without_warnings(catalog):
    r = subprocess.run(["stilts", "tpipe", f"in={catalog}#1", "omode=meta"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "WARN" not in r.stderr.upper(), r.stderr
    assert "LOG_MASS_P50" in r.stdout and "Gyr" in r.stdout
