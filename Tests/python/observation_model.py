"""An independent numpy statement of DIGS's observation model (README: "Real spectra: the
observation model"): the emission-line mask, the model error in quadrature and the
flux-calibration polynomial marginalised with the dense covariance Σ + s² A Aᵀ."""
import numpy as np

C_KMS = 299792.458
# pPXF 9.5's `determine_mask` list (Å, air).
PPXF_LINES = [3726.03, 3728.82, 4101.76, 4340.47, 4861.33, 4958.92, 5006.84, 6300.30,
              6548.03, 6583.41, 6562.80, 6716.47, 6730.85]


def line_covered(wavelength, half_width_kms=800.0, lines=PPXF_LINES):
    """True at pixels whose extent (edges halfway between centres) overlaps λ exp(±v/c)."""
    w = np.asarray(wavelength, float)
    edges = np.concatenate([[w[0] - (w[1] - w[0]) / 2], (w[1:] + w[:-1]) / 2, [w[-1] + (w[-1] - w[-2]) / 2]])
    hit = np.zeros(len(w), bool)
    for line in lines:
        low, high = line * np.exp(-half_width_kms / C_KMS), line * np.exp(half_width_kms / C_KMS)
        hit |= (edges[:-1] < high) & (edges[1:] > low)
    return hit


def legendre_basis(pixels, degree):
    """[P × K]: P_1 … P_K of u = 2j/(P − 1) − 1 (numpy's Legendre series)."""
    u = 2 * np.arange(pixels) / (pixels - 1) - 1
    return np.stack([np.polynomial.legendre.Legendre.basis(k)(u) for k in range(1, degree + 1)], axis=1)


def usable_and_sigma(augment, wavelength, sigma, mask):
    """The pixels and σ (dex) the likelihood uses, from a pipeline's `model.observation` section."""
    use = np.asarray(mask) == 1
    if "emission_line_mask" in augment:
        use = use & ~line_covered(wavelength, augment["emission_line_mask"].get("half_width_kms", 800.0))
    s = np.asarray(sigma, float)
    if "model_error_dex" in augment:
        s = np.sqrt(s ** 2 + augment["model_error_dex"] ** 2)
    return use, s


def chi_square(augment, wavelength, x, sigma, mask, model):
    """χ² of x against a model spectrum under the observation model (calibration marginalised)."""
    use, s = usable_and_sigma(augment, wavelength, sigma, mask)
    r = (np.asarray(x, float) - np.asarray(model, float))[use]
    cov = np.diag(s[use] ** 2)
    if "flux_calibration" in augment:
        a = legendre_basis(len(x), augment["flux_calibration"]["degree"])[use]
        cov = cov + augment["flux_calibration"]["sigma_dex"] ** 2 * a @ a.T
    return float(r @ np.linalg.solve(cov, r)), int(use.sum())
