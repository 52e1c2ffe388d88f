"""Surveys in, catalogs out: DESI coadd files and object tables.

DESI coadd and redrock files are written here to the DESI data model from simulated galaxies of
known θ (`survey_files.py`), as the SDSS tests do; object tables mix SDSS, DESI and table
spectra with bad files among them; an observed set of ≥ 1000 objects runs through `digs run`
and through Snakemake with 4 shards, which must give the same catalog."""
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from conftest import THETA
from digs_cli import DIGS, ROOT, digs
from survey_files import write_desi, write_redrock, write_sdss

SNAKEMAKE = Path(sys.executable).parent / "snakemake"
TARGETS = [39627652591521181, 39627652591521182, 39627652591521183]   # above 2**53: must survive exactly
REDSHIFTS = [0.05, 0.12, 0.08]
STRONG_LINES = np.array([4958.9, 5006.8, 6548.1, 6562.8, 6583.4])   # air, Å


def strings(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def read(path):
    with h5py.File(path) as f:
        return {k: f[k][()] for k in ("log_flux", "log_flux_sigma", "mask", "redshift", "luminosity_distance", "ebv")} | {
            "ids": strings(f["ids"][()]), "origin": strings(f["source/redshift_origin"][()]),
            "row": f["source/row"][()], "rejected_row": f["rejected/row"][()],
            "rejected_id": strings(f["rejected/id"][()]), "reason": strings(f["rejected/reason"][()]),
            "sha": strings(f["source/sha256"][()]), "wavelength": f["wavelength"][()]}


def test_desi_coadd_with_redrock_redshifts_gives_the_model(sdss, tmp_path):
    """Noiseless DESI spectra of THETA: the three cameras combined and resampled give the model's
    25 Å averages within 0.5 % (as the SDSS files do), with garbage in masked B-camera pixels of the
    overlap with R changing nothing; ids are the TARGETIDs, redshifts redrock's."""
    d, pipeline, rest, fine, model = sdss
    coadd = tmp_path / "coadd-main-bright-10016.fits"
    write_desi(coadd, rest, fine, REDSHIFTS, TARGETS, masked=("B", slice(-40, None)))
    write_redrock(tmp_path / "redrock-main-bright-10016.fits", TARGETS, REDSHIFTS)
    out = tmp_path / "obs.h5"
    digs("ingest", "-c", pipeline, coadd, "-o", out)
    o = read(out)
    assert o["ids"] == [str(t) for t in TARGETS]
    assert np.allclose(o["redshift"], REDSHIFTS, rtol=1e-12)
    assert o["origin"] == ["redrock-main-bright-10016.fits"] * 3
    import hashlib
    assert o["sha"] == ["sha256:" + hashlib.sha256(coadd.read_bytes()).hexdigest()] * 3
    assert "valid" in digs("validate", out).stdout
    x, mask, grid = o["log_flux"].astype(float), o["mask"], o["wavelength"]
    assert mask.all()          # DESI covers 3600–9824 Å: the whole rest grid at these redshifts
    errors = np.abs(10 ** (x - model) - 1)
    beside = np.min(np.abs(grid[:, None] - STRONG_LINES[None, :]), axis=1) < 12.5 + 20.0
    assert np.all(errors[:, ~beside] <= 0.005), np.sort(errors[:, ~beside].ravel())[-5:]
    assert errors.max() < 0.02 and np.median(errors) < 3e-4, np.sort(errors.ravel())[-5:]


def test_camera_overlap_is_inverse_variance_weighted(sdss, tmp_path):
    """One target whose B camera holds twice the flux in the B/R overlap with 3× R's inverse
    variance: the grid pixel there is what numpy's ivar-weighted mean of the two, resampled, gives."""
    d, pipeline, rest, fine, model = sdss
    plain, doubled = tmp_path / "coadd-plain.fits", tmp_path / "coadd-doubled.fits"
    z = 0.04          # puts the 40 Å overlap (5760–5800 Å observed) over the whole 25 Å pixel 5550–5575 Å rest
    write_desi(plain, rest, fine[:1], [z], TARGETS[:1])
    shutil.copy(plain, doubled)
    with fits.open(doubled, mode="update") as h:
        wave_b, wave_r = h["B_WAVELENGTH"].data, h["R_WAVELENGTH"].data
        overlap = wave_b >= wave_r[0]
        h["B_FLUX"].data[0, overlap] *= 2
        h["B_IVAR"].data[0, overlap] = 3 * h["R_IVAR"].data[0, np.isin(wave_r, wave_b[overlap])]
    for f in (plain, doubled):
        digs("ingest", "-c", pipeline, f, "--redshift", z, "-o", f.with_suffix(".h5"))
    a, b = read(plain.with_suffix(".h5")), read(doubled.with_suffix(".h5"))
    # In the overlap the combined flux is (3·2f + 1·f)/4 = 1.75 f: grid pixels wholly inside it
    # (pixel extents ±0.4 Å, vacuum → air → rest) take 1.75, those wholly outside stay 1.
    ratio = 10 ** (b["log_flux"][0].astype(float) - a["log_flux"][0].astype(float))
    span = np.array([wave_r[0] - 0.4, wave_b[-1] + 0.4])
    s2 = (1e4 / span) ** 2
    span = span / (1 + 8.34254e-5 + 2.406147e-2 / (130 - s2) + 1.5998e-4 / (38.9 - s2)) / (1 + z)
    edges = np.concatenate([a["wavelength"] - 12.5, [a["wavelength"][-1] + 12.5]])
    covered = np.clip(np.minimum(edges[1:], span[1]) - np.maximum(edges[:-1], span[0]), 0, None) / 25
    full, outside = covered > 1 - 1e-9, covered == 0
    assert full.sum() >= 1 and (~full & ~outside).sum() <= 2
    assert np.allclose(ratio[full], 1.75, rtol=1e-5), ratio[full]
    assert np.allclose(ratio[outside], 1.0, rtol=1e-5)


REAL_SPECTRA = Path(os.environ.get("DIGS_REAL_SPECTRA", Path.home() / ".cache" / "digs" / "real-spectra"))
DESI_DATA = REAL_SPECTRA / "specutils" / "io" / "default_loaders" / "tests" / "desi_test_data"
SDSS_DATA = REAL_SPECTRA / "ppxf" / "spectra"
REAL_SDSS = ["NGC3073_SDSS_DR18.fits", "NGC3522_SDSS_DR18.fits"]
REAL_DESI = ["coadd-5-169-thru20210419.fits", "coadd-sv3-dark-26065.fits"]


def numpy_observation(path, row, z, centres, step=25.0):
    """What ingest must make of target `row` of a DESI coadd file (row None: an SDSS spec file),
    computed here with numpy alone: the cameras combined on their shared pixels (ivar-weighted,
    masked pixels out), vacuum → air (Morton 2000), rest frame, L_λ = 4π d_L² (1+z) f_λ / L☉,
    spectres-style resampling of the good pixels onto the 25 Å grid, pixels less than half
    covered or with L ≤ 0 masked."""
    from astropy.cosmology import FlatLambdaCDM
    with fits.open(path) as h:
        if row is None:
            c = h["COADD"].data
            cams = [(10 ** c["loglam"].astype(float), c["flux"].astype(float), c["ivar"].astype(float) * (c["and_mask"] == 0))]
        else:
            cams = [(h[f"{c}_WAVELENGTH"].data.astype(float), h[f"{c}_FLUX"].data[row].astype(float),
                     h[f"{c}_IVAR"].data[row].astype(float) * (h[f"{c}_MASK"].data[row] == 0)) for c in "BRZ"]
    # The cameras' shared pixels agree to ~5e-10 Å in the real files (float64 arithmetic), so
    # they are matched to 1e-6 Å, as desispec's coadd_cameras matches them within a tolerance.
    wave = np.unique(np.concatenate([np.round(c[0], 6) for c in cams]))
    weighted, ivar = np.zeros(len(wave)), np.zeros(len(wave))
    for w, f, iv in cams:
        k = np.searchsorted(wave, np.round(w, 6))
        assert np.array_equal(wave[k], np.round(w, 6))
        ok = (iv > 0) & np.isfinite(f)
        weighted[k[ok]] += (iv * f)[ok]
        ivar[k[ok]] += iv[ok]
    good = ivar > 0
    flux = np.where(good, weighted / np.where(good, ivar, 1), 0)
    s2 = (1e4 / wave) ** 2
    rest = wave / (1 + 8.34254e-5 + 2.406147e-2 / (130 - s2) + 1.5998e-4 / (38.9 - s2)) / (1 + z)
    d_l = FlatLambdaCDM(H0=70, Om0=0.3, Tcmb0=0).luminosity_distance(z).value * 3.085677581491367e24
    scale = 4 * np.pi * d_l ** 2 * (1 + z) / 3.826e33 * 1e-17
    lum, var = flux * scale, np.where(good, 1 / np.where(good, ivar, 1), 0) * scale ** 2
    e_in = np.concatenate([[rest[0] - (rest[1] - rest[0]) / 2], (rest[1:] + rest[:-1]) / 2, [rest[-1] + (rest[-1] - rest[-2]) / 2]])
    e_out = np.concatenate([centres - step / 2, [centres[-1] + step / 2]])
    overlap = np.clip(np.minimum(e_out[1:, None], e_in[None, 1:]) - np.maximum(e_out[:-1, None], e_in[None, :-1]), 0, None) * good
    weight = overlap.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = overlap @ lum / weight
        sigma = np.sqrt((overlap ** 2) @ var) / weight
        keep = (weight / step >= 0.5) & (mean > 0)
        return np.where(keep, np.log10(mean), np.nan), np.where(keep, sigma / (mean * np.log(10)), np.nan), keep


def test_real_desi_coadds_from_specutils_match_an_independent_numpy_ingest(sdss, tmp_path):
    """The two real DESI EDR coadd files (5 fibres each) that specutils ships for its loader tests
    (`make real-spectra` unpacks them): fibres with COADD_FIBERSTATUS ≠ 0 (sky, unassigned, poorly
    positioned) are listed with their status; the three good targets' observations equal the
    numpy computation above. The files carry no redshifts, so the table gives z = 0.1."""
    d, pipeline, _, _, _ = sdss
    paths = [DESI_DATA / name for name in REAL_DESI]
    assert all(p.exists() for p in paths), f"run `make real-spectra` (or set DIGS_REAL_SPECTRA): {paths}"
    rows = []
    for path in paths:
        with fits.open(path) as h:
            rows += [(path, int(t), int(st)) for t, st in zip(h["FIBERMAP"].data["TARGETID"], h["FIBERMAP"].data["COADD_FIBERSTATUS"])]
    table = tmp_path / "desi.csv"
    write_table(table, ["file", "targetid", "redshift"], [(p, t, 0.1) for p, t, _ in rows])
    out = tmp_path / "desi.h5"
    digs("ingest", "-c", pipeline, "--table", table, "-o", out)
    o = read(out)
    good = [(p, t) for p, t, st in rows if st == 0]
    assert o["ids"] == [str(t) for _, t in good] and len(good) == 3
    assert sorted(o["rejected_row"]) == [k for k, (_, _, st) in enumerate(rows) if st != 0]
    for k, reason in zip(o["rejected_row"], o["reason"]):
        assert f"COADD_FIBERSTATUS of TARGETID {rows[k][1]}" in reason and f"is {rows[k][2]}" in reason, reason
    for g, (path, target) in enumerate(good):
        with fits.open(path) as h:
            row = list(h["FIBERMAP"].data["TARGETID"]).index(target)
        x, sigma, keep = numpy_observation(path, row, 0.1, o["wavelength"])
        assert np.array_equal(o["mask"][g] == 1, keep), (target, np.flatnonzero((o["mask"][g] == 1) != keep))
        assert keep.sum() > 100
        np.testing.assert_allclose(o["log_flux"][g][keep], x[keep], atol=2e-6)
        np.testing.assert_allclose(o["log_flux_sigma"][g][keep], sigma[keep], rtol=2e-5)


def test_real_sdss_spectra_from_ppxf_match_numpy_and_their_fits_are_drawn_with_masked_edges(sdss, tmp_path):
    """The two SDSS DR18 spectra pPXF ships (NGC 3073, NGC 3522; z ≈ 0.004): the observations equal
    the numpy computation; the blue grid pixels, below SDSS's 3800 Å at this redshift, are
    masked; infer and `plot fit` take them (the first pixel masked used to crash the figure)."""
    d, pipeline, _, _, _ = sdss
    paths = [SDSS_DATA / name for name in REAL_SDSS]
    assert all(p.exists() for p in paths), f"run `make real-spectra` (or set DIGS_REAL_SPECTRA): {paths}"
    out = tmp_path / "sdss.h5"
    digs("ingest", "-c", pipeline, *paths, "-o", out)
    o = read(out)
    assert o["ids"] == ["spec-0945-52652-0470", "spec-2488-54149-0001"]
    for g, path in enumerate(paths):
        with fits.open(path) as h:
            z = float(h["SPECOBJ"].data["Z"][0])
        assert abs(o["redshift"][g] - z) < 1e-7
        x, sigma, keep = numpy_observation(path, None, o["redshift"][g], o["wavelength"])
        assert np.array_equal(o["mask"][g] == 1, keep), np.flatnonzero((o["mask"][g] == 1) != keep)
        assert not keep[0] and keep.sum() > 140
        np.testing.assert_allclose(o["log_flux"][g][keep], x[keep], atol=2e-6)
        np.testing.assert_allclose(o["log_flux_sigma"][g][keep], sigma[keep], rtol=2e-5)
    digs("infer", "-c", pipeline, "--observations", out, "-o", tmp_path / "post.h5")
    digs("plot", "fit", "-c", pipeline, "--posterior", tmp_path / "post.h5", "--every-galaxy", "-o", tmp_path / "fig")
    for id_ in o["ids"]:
        assert (tmp_path / "fig" / f"fit-{id_}.png").read_bytes()[:4] == b"\x89PNG"
        assert (tmp_path / "fig" / f"fit-{id_}.pdf").read_bytes()[:4] == b"%PDF"


def write_table(path, header, rows):
    path.write_text(",".join(header) + "\n" + "".join(",".join("" if v is None else str(v) for v in row) + "\n" for row in rows))


@pytest.fixture(scope="module")
def mixed(sdss, tmp_path_factory):
    """An object table of SDSS, DESI and table spectra with bad rows among them."""
    d, pipeline, rest, fine, _ = sdss
    t = tmp_path_factory.mktemp("mixed")
    (t / "spectra").mkdir()
    for k in range(3):
        write_sdss(t / "spectra" / f"spec-0500-52000-{k + 1:04d}.fits", rest, fine[k], REDSHIFTS[k], (500, 52000, k + 1))
    write_desi(t / "spectra" / "coadd-main-dark-100.fits", rest, fine, REDSHIFTS, TARGETS)
    write_redrock(t / "spectra" / "redrock-main-dark-100.fits", TARGETS, REDSHIFTS, zwarn=[0, 4, 0])
    with fits.open(t / "spectra" / "spec-0500-52000-0001.fits") as h:
        c = h[1].data
        with np.errstate(divide="ignore"):           # ivar 0 beyond the model: error ∞, read as no data
            table = np.column_stack([10 ** c["loglam"].astype(float), c["flux"], 1 / np.sqrt(c["ivar"])])
        h[1].data["ivar"][:] = 0
        h.writeto(t / "spectra" / "spec-dead.fits")
    np.savetxt(t / "spectra" / "galaxy.csv", table, delimiter=",", header="wavelength,flux,error", comments="")
    (t / "spectra" / "garbage.fits").write_bytes(b"SIMPLE  = this is not a FITS file" * 40)
    rows = [
        ("spectra/spec-0500-52000-0001.fits", "sdss-a", None, None, None, None, None),        # 0
        ("spectra/coadd-main-dark-100.fits", None, None, TARGETS[0], None, None, None),       # 1: redrock z
        ("spectra/missing.fits", "gone", None, None, 0.1, None, None),                        # 2: no such file
        ("spectra/coadd-main-dark-100.fits", "desi-zwarn", None, TARGETS[1], None, None, None),  # 3: ZWARN 4
        ("spectra/spec-0500-52000-0002.fits", "sdss-b-far", None, None, None, 1000.0, None),  # 4: own distance
        ("spectra/garbage.fits", "broken", None, None, None, None, None),                     # 5: not FITS
        ("spectra/coadd-main-dark-100.fits", "desi-c", "desi", TARGETS[2], None, None, 0.05),  # 6: own E(B-V)
        ("spectra/coadd-main-dark-100.fits", "desi-none", None, 7, None, None, None),         # 7: no such target
        ("spectra/spec-dead.fits", "dead", None, None, None, None, None),                     # 8: ivar 0
        ("spectra/galaxy.csv", "csv-a", "table", None, REDSHIFTS[0], None, None),             # 9: table, flux 1e-17
        ("spectra/coadd-main-dark-100.fits", "desi-which", None, None, None, None, None),     # 10: no targetid
        ("spectra/coadd-main-dark-100.fits", "desi-b-given-z", None, TARGETS[1], REDSHIFTS[1], None, None),  # 11
    ]
    csv_table = t / "objects.csv"
    write_table(csv_table, ["file", "id", "format", "targetid", "redshift", "luminosity_distance", "ebv"], rows)
    return t, pipeline, csv_table, rows


def test_an_object_table_mixes_formats_and_lists_what_it_cannot_use(mixed, sdss):
    t, pipeline, table, rows = mixed
    out = t / "obs.h5"
    r = digs("ingest", "-c", pipeline, "--table", table, "--flux-unit", 1e-17, "-o", out)
    o = read(out)
    assert o["ids"] == ["sdss-a", str(TARGETS[0]), "sdss-b-far", "desi-c", "csv-a", "desi-b-given-z"]
    assert list(o["row"]) == [0, 1, 4, 6, 9, 11]
    assert o["origin"] == ["spectrum file", "redrock-main-dark-100.fits", "spectrum file", "redrock-main-dark-100.fits",
                           "object table", "object table"]
    reasons = dict(zip(o["rejected_row"], o["reason"]))
    assert sorted(reasons) == [2, 3, 5, 7, 8, 10]
    assert o["rejected_id"] == ["gone", "desi-zwarn", "broken", "desi-none", "dead", "desi-which"]
    assert "missing.fits" in reasons[2] and "no such file" in reasons[2]
    assert "ZWARN" in reasons[3] and "is 4" in reasons[3]
    assert "garbage.fits" in reasons[5] and "FITS" in reasons[5]
    assert "no target 7" in reasons[7]
    assert "ivar" in reasons[8]
    assert "holds 3 targets" in reasons[10]
    for k in reasons:   # each skip is named on stderr with its row
        assert f"line {k + 2}" in r.stderr
    # Per-object distance: 1000 Mpc instead of the cosmology's → L_λ scales by (1000/d_L)².
    from astropy.cosmology import FlatLambdaCDM
    d_l = FlatLambdaCDM(H0=70, Om0=0.3, Tcmb0=0).luminosity_distance(o["redshift"][2]).value
    assert o["luminosity_distance"][2] == 1000.0 and abs(o["luminosity_distance"][0] / FlatLambdaCDM(
        H0=70, Om0=0.3, Tcmb0=0).luminosity_distance(o["redshift"][0]).value - 1) < 1e-10
    plain = t / "plain.h5"
    digs("ingest", "-c", pipeline, t / "spectra" / "spec-0500-52000-0002.fits", "-o", plain)
    p = read(plain)
    assert np.allclose(o["log_flux"][2].astype(float) - p["log_flux"][0], 2 * np.log10(1000 / d_l), atol=2e-6)
    # Per-object E(B−V) of 0.05: the same as --ebv 0.05 for that file alone.
    one = t / "one.csv"
    write_table(one, ["file", "targetid", "redshift"], [(t / "spectra" / "coadd-main-dark-100.fits", TARGETS[2], None)])
    digs("ingest", "-c", pipeline, "--table", one, "--ebv", 0.05, "-o", t / "ebv.h5")
    e = read(t / "ebv.h5")
    assert o["ebv"][3] == 0.05 and o["ebv"][0] == 0.0
    np.testing.assert_array_equal(o["log_flux"][3], e["log_flux"][0])
    # The table spectrum (f_λ in 1e-17 from the SDSS file) equals the SDSS file's observation.
    assert np.allclose(o["log_flux"][4], o["log_flux"][0], atol=2e-6)
    # The same objects as a FITS table give the same observations.
    fits_table = t / "objects.fits"
    cols = list(zip(*rows))
    fits.BinTableHDU.from_columns([
        fits.Column(name="FILE", format="60A", array=list(cols[0])),
        fits.Column(name="ID", format="20A", array=[c or "" for c in cols[1]]),
        fits.Column(name="FORMAT", format="8A", array=[c or "" for c in cols[2]]),
        fits.Column(name="TARGETID", format="K", array=[c if c is not None else -1 for c in cols[3]], null=-1),
        fits.Column(name="REDSHIFT", format="D", array=[c if c is not None else np.nan for c in cols[4]]),
        fits.Column(name="LUMINOSITY_DISTANCE", format="D", array=[c if c is not None else np.nan for c in cols[5]]),
        fits.Column(name="EBV", format="D", array=[c if c is not None else np.nan for c in cols[6]]),
    ]).writeto(fits_table)
    digs("ingest", "-c", pipeline, "--table", fits_table, "--flux-unit", 1e-17, "-o", t / "obs_fits.h5")
    f = read(t / "obs_fits.h5")
    assert f["ids"] == o["ids"] and list(f["rejected_row"]) == list(o["rejected_row"])
    np.testing.assert_array_equal(f["log_flux"], o["log_flux"])


def test_the_catalog_has_a_row_per_object_with_the_reason_for_each_skipped_one(mixed, sdss):
    t, pipeline, table, rows = mixed
    obs = t / "obs.h5"
    if not obs.exists():
        digs("ingest", "-c", pipeline, "--table", table, "--flux-unit", 1e-17, "-o", obs)
    digs("infer", "-c", pipeline, "--observations", obs, "-o", t / "post.h5")
    digs("export", "-c", pipeline, "--posterior", t / "post.h5", "--observations", obs, "-o", t / "catalog.fits")
    catalog = Table.read(t / "catalog.fits", hdu=1)
    assert len(catalog) == len(rows)
    assert sorted(catalog["INPUT_ROW"]) == list(range(len(rows)))
    ids = [str(i).strip() for i in catalog["ID"]]
    bad = catalog["FLAG"] & 16 != 0
    assert [ids[k] for k in np.flatnonzero(bad)] == ["gone", "desi-zwarn", "broken", "desi-none", "dead", "desi-which"]
    assert np.all(np.isnan(np.asarray(catalog["LOG_MASS_P50"])[bad])) and np.all(np.isfinite(np.asarray(catalog["LOG_MASS_P50"])[~bad]))
    column = catalog["PROBLEM"]
    problem = np.asarray(column.filled("") if hasattr(column, "filled") else column, dtype=str)  # astropy masks empty strings
    assert all(len(p) > 10 for p in problem[bad])
    # Posterior rows: the flags in words, empty when there are none.
    for p, flag in zip(problem[~bad], catalog["FLAG"][~bad]):
        assert (p == "") == (flag == 0), (p, flag)
        assert ("at the prior's" in p) == bool(flag & 4) and ("predictive check fails: chi2/dof" in p) == bool(flag & 1), (p, flag)
    r = subprocess.run(["fitsverify", "-q", str(t / "catalog.fits")], capture_output=True, text=True)
    assert "0 error" in r.stdout + r.stderr or r.returncode == 0, r.stdout + r.stderr
    # Observations of another run are refused.
    r = digs("export", "-c", pipeline, "--posterior", t / "post.h5", "--observations", t / "plain.h5", "-o", t / "x.fits", check=False)
    assert r.returncode != 0 and "products of different runs" in r.stderr


def test_bad_object_tables_get_clear_errors(mixed, sdss, tmp_path):
    t, pipeline, _, _ = mixed
    for text, expected in [("file,redshfit\na.fits,0.1\n", "column 'redshfit': is not one DIGS reads: did you mean 'redshift'?"),
                           ("file,redshift\na.fits,abc\n", "line 2 column redshift: is 'abc'"),
                           ("file,ebv\na.fits,-0.1\n", "column ebv"),
                           ("id\nx\n", "column file")]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        r = digs("ingest", "-c", pipeline, "--table", bad, "-o", tmp_path / "x.h5", check=False)
        assert r.returncode != 0 and expected in r.stderr and str(bad) in r.stderr, r.stderr
        assert not (tmp_path / "x.h5").exists()
    r = digs("ingest", "-c", pipeline, "-o", tmp_path / "x.h5", check=False)
    assert r.returncode != 0 and "observed.table" in r.stderr


N_OBJECTS = 1000


@pytest.fixture(scope="module")
def survey(sdss, tmp_path_factory):
    """≥ 1000 simulated objects: 600 SDSS files and 400 DESI targets in 2 coadd files (noisy, S/N
    15–40, z 0.02–0.2), plus 5 bad rows; the pipeline file names the table as its observed set."""
    d, pipeline, rest, fine, _ = sdss
    s = tmp_path_factory.mktemp("survey")
    (s / "spectra").mkdir()
    rng = np.random.default_rng(20)
    rows = []
    for k in range(600):
        z = rng.uniform(0.02, 0.2)
        name = f"spectra/spec-{1000 + k // 500:04d}-55000-{k % 500 + 1:04d}.fits"
        write_sdss(s / name, rest, fine[k % 3], z, (1000 + k // 500, 55000, k % 500 + 1), snr=rng.uniform(15, 40), rng=rng)
        rows.append((name, f"sdss-{k}", None, None, None))
    for f in range(2):
        ids = [39627000000000000 + 1000 * f + j for j in range(200)]
        zs = rng.uniform(0.02, 0.2, 200)
        write_desi(s / "spectra" / f"coadd-main-dark-{f}.fits", rest, [fine[j % 3] for j in range(200)], zs, ids,
                   snr=20, rng=rng)
        write_redrock(s / "spectra" / f"redrock-main-dark-{f}.fits", ids, zs)
        rows += [(f"spectra/coadd-main-dark-{f}.fits", None, None, i, None) for i in ids]
    (s / "spectra" / "truncated.fits").write_bytes((s / "spectra" / "spec-1000-55000-0001.fits").read_bytes()[:5000])
    bad = [("spectra/nowhere.fits", "bad-missing", None, None, 0.1), ("spectra/truncated.fits", "bad-truncated", None, None, None),
           ("spectra/coadd-main-dark-0.fits", "bad-target", None, 5, None)]
    for k, row in zip((17, 333, 811), bad):
        rows.insert(k, row)
    table = s / "objects.csv"
    write_table(table, ["file", "id", "format", "targetid", "redshift"], rows)
    # Without refinement rounds: what is checked here is the bookkeeping of ≥ 1000 objects (rows,
    # flags, report, shards), not the posteriors (test_importance checks refinement); the rounds of
    # a thousand galaxies the small flow fits badly cost most of this test's time.
    text = Path(pipeline).read_text().replace(f"output: {d}", f"output: {s / 'run'}").replace("refinement_rounds: 6 ", "refinement_rounds: 0 ")
    assert "refinement_rounds: 0 " in text
    observed = s / "survey.yaml"
    observed.write_text(text + f"observed:\n  table: {table}\n")
    (s / "run").mkdir()
    for name in ("01_ssp_library.h5", "05_flow.h5"):
        shutil.copy(d / name, s / "run" / name)
    return s, observed, table, len(rows)


def test_an_observed_set_runs_in_digs_run_and_in_snakemake_with_four_shards(survey):
    s, pipeline, table, count = survey
    assert count >= N_OBJECTS + 3
    r = digs("run", pipeline, "--from", "ingest")
    assert "ingest" in r.stderr and "export-observed" in r.stderr
    run = s / "run"
    catalog = Table.read(run / "catalog_observed.fits", hdu=1)
    assert len(catalog) == count
    bad = np.asarray(catalog["FLAG"]) & 16 != 0
    assert sorted(str(i).strip() for i in catalog["ID"][bad]) == ["bad-missing", "bad-target", "bad-truncated"]
    assert sorted(catalog["INPUT_ROW"][bad]) == [17, 333, 811]
    # The report lists the real targets with problems, in the catalog's words, and the objects
    # that could not be ingested with their reasons.
    digs("report", "-c", pipeline)
    page = html.unescape((run / "report" / "index.html").read_text())
    assert "Real targets: problems" in page
    flagged = [(str(i).strip(), str(p).strip()) for i, f, p in zip(catalog["ID"], catalog["FLAG"], catalog["PROBLEM"])
               if f != 0 and f & 16 == 0]
    assert f"{count - 3} objects of the observed set have a posterior; {len(flagged)} of them carry a quality flag, and 3 could not be ingested" in page
    for object_id, problem in flagged[:50]:
        assert problem and f"<td>{object_id}</td><td>" in page and problem in page, (object_id, problem)
    if len(flagged) < 50:
        for object_id in ("bad-missing", "bad-target", "bad-truncated"):
            assert f"<td>{object_id}</td><td>16</td><td>not ingested: " in page
    # digs run keeps the observed set up to date: unchanged spectra, nothing to ingest; a spectrum
    # file changed since (its modification time), ingest is stale. (The stages before it were not
    # made by digs run here, so they show as stale too.)
    assert not re.search(r"would run ingest\b", digs("run", pipeline, "--dry-run").stdout)
    os.utime(s / "spectra" / "coadd-main-dark-1.fits", (1e9, 1e9))
    dry = digs("run", pipeline, "--dry-run").stdout
    assert re.search(r"would run ingest\s+\(its settings or inputs changed\)", dry), dry
    # observed.fit_figures (default 100): the fit figures of the first 100 objects.
    assert len(list((run / "figures" / "observed").glob("fit-*.png"))) == 100
    assert (run / "figures" / "observed" / "fit-sdss-0.png").read_bytes()[:4] == b"\x89PNG"
    # Snakemake with 4 shards from the same flow gives the same catalog.
    snake = s / "snake"
    snake.mkdir()
    for name in ("01_ssp_library.h5", "05_flow.h5"):
        shutil.copy(run / name, snake / name)
    r = subprocess.run([str(SNAKEMAKE), str(snake / "catalog_observed.fits"), "-s", str(ROOT / "pipelines" / "Snakefile"),
                        "--cores", "2", "-q", "--directory", str(s), "--config", f"pipeline={pipeline}", "shards=4",
                        f"output={snake}", f"digs={DIGS}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    for name in ("06_observations_observed.h5", "07_posterior_observed.h5"):
        with h5py.File(run / name) as a, h5py.File(snake / name) as b:
            assert a.attrs["content_digest"] == b.attrs["content_digest"], name
    other = Table.read(snake / "catalog_observed.fits", hdu=1)
    assert catalog.colnames == other.colnames
    for c in catalog.colnames:
        np.testing.assert_array_equal(np.asarray(catalog[c]), np.asarray(other[c]))
