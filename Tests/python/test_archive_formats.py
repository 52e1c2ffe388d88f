"""Archive formats beyond SDSS/BOSS spec files and DESI coadds, written here from simulated
galaxies of known θ (the model spectra of the `sdss` fixture) to their published data models:

- an ESO Phase 3 1-D spectrum (ESO Science Data Products Standard: one binary-table row whose
  cells are the arrays WAVE, FLUX, ERR, QUAL; units in TUNITn, here nm and
  10**(-19) erg cm⁻² s⁻¹ Å⁻¹; air wavelengths said by TUCD1 = em.wl;obs.atmos; REDSHIFT in
  the primary header);
- an SDSS DR7 spSpec file (primary image rows: flux, continuum-subtracted flux, error, mask;
  log-λ from COEFF0/COEFF1; Z in the header).

Each must give the observation the SDSS spec file of the same spectrum gives (itself checked
against the model within 0.5 % in test_ingest), with masks honoured; hostile versions of each
exit with a clear error."""
import h5py
import numpy as np
from astropy.io import fits

from digs_cli import digs
from survey_files import write_sdss

Z = 0.12


def sdss_pixels(sdss, tmp_path):
    """The SDSS spec file of galaxy 1 at z = 0.12, its ingested observation, and its pixels."""
    d, pipeline, rest, fine, _ = sdss
    path = tmp_path / "spec-0003-50000-0001.fits"
    write_sdss(path, rest, fine[1], Z, (3, 50000, 1))
    digs("ingest", "-c", pipeline, path, "-o", tmp_path / "sdss.h5")
    with fits.open(path) as h:
        c = h[1].data
        vacuum, flux, ivar = 10 ** c["loglam"].astype(float), c["flux"].astype(float), c["ivar"].astype(float)
    return pipeline, vacuum, flux, ivar


def observation(path):
    with h5py.File(path) as f:
        return f["log_flux"][0].astype(float), f["mask"][0].astype(bool)


def to_air(vacuum):
    s2 = (1e4 / vacuum) ** 2
    return vacuum / (1 + 8.34254e-5 + 2.406147e-2 / (130 - s2) + 1.5998e-4 / (38.9 - s2))


def write_eso(path, vacuum, flux, ivar, qual=None, flux_unit="10**(-19).erg.cm**(-2).s**(-1).angstrom**(-1)", redshift=Z):
    """One row of array cells, as ESO's Phase 3 1-D spectra (X-shooter's layout)."""
    n = len(vacuum)
    with np.errstate(divide="ignore"):
        err = np.where(ivar > 0, 1 / np.sqrt(np.where(ivar > 0, ivar, 1)), 0.0)
    scale = 1e-17 / 1e-19
    cols = [fits.Column(name="WAVE", format=f"{n}D", unit="nm", array=[to_air(vacuum) / 10]),
            fits.Column(name="FLUX", format=f"{n}E", unit=flux_unit, array=[flux * scale]),
            fits.Column(name="ERR", format=f"{n}E", unit=flux_unit, array=[err * scale]),
            fits.Column(name="QUAL", format=f"{n}J", array=[np.zeros(n, np.int32) if qual is None else qual])]
    table = fits.BinTableHDU.from_columns(cols, name="SPECTRUM")
    table.header["TUCD1"] = "em.wl;obs.atmos"
    table.header["TUCD2"] = "phot.flux.density;em.wl;src.net;meta.main"
    table.header["VOCLASS"] = "SPECTRUM V2.0"
    primary = fits.PrimaryHDU()
    primary.header["PRODCATG"] = "SCIENCE.SPECTRUM"
    primary.header["SPECSYS"] = "BARYCENT"
    if redshift is not None:
        primary.header["REDSHIFT"] = redshift
    fits.HDUList([primary, table]).writeto(path, overwrite=True)


def test_an_eso_phase3_spectrum_gives_the_observation_of_the_sdss_file(sdss, tmp_path):
    pipeline, vacuum, flux, ivar = sdss_pixels(sdss, tmp_path)
    x0, m0 = observation(tmp_path / "sdss.h5")
    eso = tmp_path / "ADP.2020-01-01T00:00:00.000.fits"
    write_eso(eso, vacuum, flux, ivar)
    # No --format, no --redshift, no --flux-unit, no --medium: the file says it all.
    digs("ingest", "-c", pipeline, eso, "-o", tmp_path / "eso.h5")
    x, m = observation(tmp_path / "eso.h5")
    assert np.array_equal(m, m0)
    assert np.max(np.abs(x[m] - x0[m])) < 2e-5, np.max(np.abs(x[m] - x0[m]))   # float32 cells, air ↔ vacuum round trip
    with h5py.File(tmp_path / "eso.h5") as f:
        assert abs(f["redshift"][0] - Z) < 1e-12
    # QUAL ≠ 0 is honoured as the SDSS file's and_mask is: garbage flux there costs only the grid
    # pixels it covers more than half of.
    d, _, rest, fine, _ = sdss
    write_sdss(tmp_path / "bad.fits", rest, fine[1], Z, (3, 50000, 1), bad=slice(2000, 2040))
    digs("ingest", "-c", pipeline, tmp_path / "bad.fits", "-o", tmp_path / "sdss-bad.h5")
    x1, m1 = observation(tmp_path / "sdss-bad.h5")
    qual = np.zeros(len(vacuum), np.int32)
    qual[2000:2040] = 1
    bad_flux = flux.copy()
    bad_flux[2000:2040] = 1e6
    write_eso(eso, vacuum, bad_flux, ivar, qual=qual)
    digs("ingest", "-c", pipeline, eso, "-o", tmp_path / "qual.h5")
    xq, mq = observation(tmp_path / "qual.h5")
    assert 2 <= np.count_nonzero(m0 & ~mq) <= 3 and np.array_equal(mq, m1)
    assert np.max(np.abs(xq[mq] - x1[mq])) < 2e-5


def test_an_sdss_dr7_spspec_file_gives_the_observation_of_the_sdss_file(sdss, tmp_path):
    pipeline, vacuum, flux, ivar = sdss_pixels(sdss, tmp_path)
    x0, m0 = observation(tmp_path / "sdss.h5")
    with np.errstate(divide="ignore"):
        err = np.where(ivar > 0, 1 / np.sqrt(np.where(ivar > 0, ivar, 1)), 0.0)
    mask = np.zeros(len(vacuum))
    mask[3000:3010] = 0x40000000      # SP_MASK_EMLINE: an emission line, good data
    mask[1000:1040] = 0x1             # SP_MASK_NOPLUG: bad
    garbage = flux.copy()
    garbage[1000:1040] = -1e6
    hdu = fits.PrimaryHDU(np.vstack([garbage, garbage * 0, err, mask]).astype(np.float32))
    hdu.header["COEFF0"] = 3.58
    hdu.header["COEFF1"] = 1e-4
    hdu.header["Z"] = Z
    hdu.header["ZWARNING"] = 0
    hdu.header["BUNIT"] = "1E-17 erg/cm/s^2/Ang"
    spspec = tmp_path / "spSpec-51602-0266-001.fit"
    hdu.writeto(spspec)
    digs("ingest", "-c", pipeline, spspec, "-o", tmp_path / "dr7.h5")
    x, m = observation(tmp_path / "dr7.h5")
    assert 1 <= np.count_nonzero(m0 & ~m) <= 3 and not np.any(m & ~m0)
    # It is the SDSS file's with the same pixels flagged (the emission-line bit flags none).
    d, _, rest, fine, _ = sdss
    write_sdss(tmp_path / "bad.fits", rest, fine[1], Z, (3, 50000, 1), bad=slice(1000, 1040))
    digs("ingest", "-c", pipeline, tmp_path / "bad.fits", "-o", tmp_path / "sdss-bad.h5")
    x1, m1 = observation(tmp_path / "sdss-bad.h5")
    assert np.array_equal(m, m1) and np.max(np.abs(x[m] - x1[m])) < 2e-5
    # ZWARNING ≠ 0 is refused unless a redshift is given.
    hdu.header["ZWARNING"] = 4
    hdu.writeto(spspec, overwrite=True)
    r = digs("ingest", "-c", pipeline, spspec, "-o", tmp_path / "w.h5", check=False)
    assert r.returncode == 1 and "ZWARNING" in r.stderr and "is 4" in r.stderr, r.stderr
    digs("ingest", "-c", pipeline, spspec, "--redshift", Z, "-o", tmp_path / "w.h5")


def test_hostile_archive_files_exit_with_a_clear_error(sdss, tmp_path):
    pipeline, vacuum, flux, ivar = sdss_pixels(sdss, tmp_path)
    eso = tmp_path / "eso.fits"

    def refused(*needles, extra=()):
        r = digs("ingest", "-c", pipeline, eso, *extra, "-o", tmp_path / "x.h5", check=False)
        assert r.returncode in (1, 2) and all(n in r.stderr for n in needles), (r.returncode, r.stderr)
        assert not (tmp_path / "x.h5").exists()

    write_eso(eso, vacuum, flux, ivar, flux_unit="adu")
    refused("TUNIT of column FLUX", "'adu'", "flux density per wavelength")
    write_eso(eso, vacuum, flux, ivar, redshift=None)
    refused("no redshift", "--redshift")
    write_eso(eso, vacuum, flux, ivar)
    data = eso.read_bytes()
    eso.write_bytes(data[:len(data) - 20000])
    refused("truncated")
    # A NaN cell is no data, not a NaN in the product.
    nan_flux = flux.copy()
    nan_flux[500:700] = np.nan
    write_eso(eso, vacuum, nan_flux, ivar)
    digs("ingest", "-c", pipeline, eso, "-o", tmp_path / "nan.h5")
    x, m = observation(tmp_path / "nan.h5")
    assert np.all(np.isfinite(x[m])) and np.count_nonzero(~m) >= 1
    # A FITS file of no known format: the message lists the formats and the HDUs it found.
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros(3), name="SCI")]).writeto(eso, overwrite=True)
    refused("neither an SDSS spec file", "spSpec", "DESI", "PRIMARY, SCI", extra=("--redshift", Z))
