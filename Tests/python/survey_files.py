"""Spectrum files of simulated galaxies written to the surveys' data models, for the ingest
tests: SDSS/BOSS spec files (HDUs COADD and SPECOBJ) and DESI coadd files (FIBERMAP and per
camera B_/R_/Z_ WAVELENGTH, FLUX, IVAR, MASK) with their redrock files (REDSHIFTS). Every pixel
holds the mean of the model over its extent in the observed frame (vacuum → air → rest)."""
import numpy as np
from astropy.cosmology import FlatLambdaCDM
from astropy.io import fits

L_SUN = 3.826e33          # erg/s, the unit of the BC03 grids
MPC = 3.085677581491367e24  # cm
DESI_CAMERAS = {"B": (3600.0, 5800.0), "R": (5760.0, 7620.0), "Z": (7520.0, 9824.0)}  # Å vacuum, 0.8 Å pixels


def observed_flux(rest_air, luminosity, z, edges_vacuum, distance_mpc=None):
    """f_λ in 1e-17 erg/s/cm²/Å of pixels with these observed vacuum edges, for the rest-frame
    L_λ [L☉/Å] on 1 Å pixels centred on `rest_air`, and which pixels the model covers."""
    s2 = (1e4 / edges_vacuum) ** 2
    edges = edges_vacuum / (1 + 8.34254e-5 + 2.406147e-2 / (130 - s2) + 1.5998e-4 / (38.9 - s2)) / (1 + z)
    model_edges = np.concatenate([[rest_air[0] - 0.5], rest_air + 0.5])
    lo, hi = np.maximum(edges[:-1], model_edges[0]), np.minimum(edges[1:], model_edges[-1])
    inside = hi > lo
    integral = np.concatenate([[0], np.cumsum(luminosity * np.diff(model_edges))])
    mean = np.zeros(len(edges) - 1)
    mean[inside] = (np.interp(hi[inside], model_edges, integral) - np.interp(lo[inside], model_edges, integral)) / (hi - lo)[inside]
    d_l = (distance_mpc or FlatLambdaCDM(H0=70, Om0=0.3, Tcmb0=0).luminosity_distance(z).value) * MPC
    return mean * L_SUN / (4 * np.pi * d_l ** 2 * (1 + z)) / 1e-17, inside


def write_sdss(path, rest_air, luminosity, z, ids, snr=None, rng=None, bad=None):
    """An SDSS spec file of the rest-frame L_λ [L☉/Å] on `rest_air` [Å] seen at redshift z.
    `snr` (per SDSS pixel at the median flux) adds Gaussian noise (None: noiseless flux, ivar for
    S/N 30); `bad` is a
    slice of pixels flagged in and_mask with garbage flux."""
    loglam = np.round(np.arange(3.5800, 3.9640, 1e-4), 4)          # 3802–9204 Å vacuum, SDSS's grid
    # Each SDSS pixel's edges lie midway in log λ. Pixels partly beyond the model hold the mean
    # over the part inside; wholly beyond, no data.
    flux, inside = observed_flux(rest_air, luminosity, z, 10 ** np.concatenate([[loglam[0] - 5e-5], loglam + 5e-5]))
    # Photon noise: S/N = snr at the median flux, ∝ √flux elsewhere (as the pipeline's noise model).
    median = np.median(flux[inside])
    sigma = np.where(inside, np.sqrt(np.abs(flux) * median) / (snr or 30.0), 1.0)
    ivar = np.zeros(len(loglam))                                     # beyond the model: no data
    ivar[inside] = sigma[inside] ** -2.0
    if snr:
        flux = flux + rng.normal(0, np.where(inside, sigma, 0))
    and_mask = np.zeros(len(loglam), dtype=np.int32)
    if bad is not None:
        and_mask[bad] = 1 << 24         # BRIGHTSKY
        flux[bad] = 1e6
    coadd = fits.BinTableHDU.from_columns([
        fits.Column(name="flux", format="E", array=flux.astype(np.float32)),
        fits.Column(name="loglam", format="E", array=loglam.astype(np.float32)),
        fits.Column(name="ivar", format="E", array=ivar.astype(np.float32)),
        fits.Column(name="and_mask", format="J", array=and_mask),
        fits.Column(name="or_mask", format="J", array=and_mask),
        fits.Column(name="wdisp", format="E", array=np.full(len(loglam), 1.1, np.float32)),
        fits.Column(name="sky", format="E", array=np.zeros(len(loglam), np.float32)),
        fits.Column(name="model", format="E", array=flux.astype(np.float32)),
    ], name="COADD")
    plate, mjd, fiber = ids
    specobj = fits.BinTableHDU.from_columns([
        fits.Column(name="PLATE", format="J", array=[plate]), fits.Column(name="MJD", format="J", array=[mjd]),
        fits.Column(name="FIBERID", format="J", array=[fiber]), fits.Column(name="Z", format="E", array=[z]),
        fits.Column(name="Z_ERR", format="E", array=[1e-5]), fits.Column(name="CLASS", format="6A", array=["GALAXY"]),
    ], name="SPECOBJ")
    primary = fits.PrimaryHDU()
    primary.header["PLATEID"], primary.header["MJD"], primary.header["FIBERID"] = plate, mjd, fiber
    fits.HDUList([primary, coadd, specobj, fits.BinTableHDU.from_columns(
        [fits.Column(name="LINENAME", format="13A", array=["H_alpha"])], name="SPZLINE")]).writeto(path, overwrite=True)


def write_desi(path, rest_air, luminosities, redshifts, targetids, snr=None, rng=None, fiberstatus=None, masked=None):
    """A DESI coadd file (desidatamodel coadd-SURVEY-PROGRAM-PIXNUM.fits) of several targets:
    FIBERMAP (TARGETID, COADD_FIBERSTATUS), then per camera B, R, Z the images WAVELENGTH
    (vacuum Å, 0.8 Å pixels on one grid, so the cameras share their overlap pixels), FLUX
    [target, pixel] in 1e-17 erg/s/cm²/Å, IVAR, MASK and RESOLUTION. `snr` per pixel at each
    camera's median flux adds Gaussian noise; `masked` = (camera, slice): pixels flagged in MASK
    there hold garbage flux."""
    n = len(targetids)
    fibermap = fits.BinTableHDU.from_columns([
        fits.Column(name="TARGETID", format="K", array=np.asarray(targetids, dtype=np.int64)),
        fits.Column(name="COADD_FIBERSTATUS", format="J", array=np.asarray(fiberstatus if fiberstatus is not None else np.zeros(n), dtype=np.int32)),
        fits.Column(name="TARGET_RA", format="D", array=np.linspace(150, 151, n)),
        fits.Column(name="TARGET_DEC", format="D", array=np.linspace(2, 3, n)),
    ], name="FIBERMAP")
    hdus = [fits.PrimaryHDU(), fibermap,
            fits.BinTableHDU.from_columns([fits.Column(name="TARGETID", format="K", array=np.asarray(targetids, dtype=np.int64))], name="EXP_FIBERMAP")]
    for camera, (start, stop) in DESI_CAMERAS.items():
        wave = np.round(np.arange(start, stop + 0.4, 0.8), 1)
        edges = np.concatenate([wave - 0.4, [wave[-1] + 0.4]])
        flux, ivar = np.zeros((n, len(wave))), np.zeros((n, len(wave)))
        mask = np.zeros((n, len(wave)), dtype=np.int32)
        for k in range(n):
            f, inside = observed_flux(rest_air, luminosities[k], redshifts[k], edges)
            median = np.median(f[inside])
            sigma = np.sqrt(np.abs(f) * median) / (snr or 30.0)
            ivar[k, inside] = sigma[inside] ** -2.0
            flux[k] = f + (rng.normal(0, np.where(inside, sigma, 0)) if snr else 0)
        if masked is not None and masked[0] == camera:
            mask[:, masked[1]] = 2       # FULLREJECT-like bit
            flux[:, masked[1]] = 1e6
        header = fits.Header()
        header["BUNIT"] = "10**-17 erg/(s cm2 Angstrom)"
        hdus += [fits.ImageHDU(wave, name=f"{camera}_WAVELENGTH"),
                 fits.ImageHDU(flux.astype(np.float32), header=header, name=f"{camera}_FLUX"),
                 fits.ImageHDU(ivar.astype(np.float32), name=f"{camera}_IVAR"),
                 fits.ImageHDU(mask, name=f"{camera}_MASK"),
                 fits.ImageHDU(np.zeros((n, 11, len(wave)), np.float32), name=f"{camera}_RESOLUTION")]
    fits.HDUList(hdus).writeto(path, overwrite=True)


def write_redrock(path, targetids, redshifts, zwarn=None):
    """The redrock file beside a coadd file: HDU REDSHIFTS with TARGETID, Z, ZERR, ZWARN, SPECTYPE."""
    n = len(targetids)
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([
        fits.Column(name="TARGETID", format="K", array=np.asarray(targetids, dtype=np.int64)),
        fits.Column(name="Z", format="D", array=np.asarray(redshifts, dtype=float)),
        fits.Column(name="ZERR", format="D", array=np.full(n, 1e-5)),
        fits.Column(name="ZWARN", format="K", array=np.asarray(zwarn if zwarn is not None else np.zeros(n), dtype=np.int64)),
        fits.Column(name="SPECTYPE", format="6A", array=["GALAXY"] * n),
    ], name="REDSHIFTS")]).writeto(path, overwrite=True)
