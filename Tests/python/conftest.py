"""Shared fixtures: the smoke pipeline run once through inference and calibration; a small flow
of pipelines/sdss.yaml with model spectra of known θ on a 1 Å grid (for the ingest tests)."""
import csv

import h5py
import numpy as np
import pytest

from digs_cli import ROOT, digs

SAMPLES = 300


def pipeline_copy(name, folder, output, replacements=()):
    """Writes pipelines/<name>.yaml into `folder` with its products going to `output` and the
    given (old, new) text replacements (each must occur); returns the file's path."""
    text = (ROOT / "pipelines" / f"{name}.yaml").read_text().replace(f"output: products/{name}", f"output: {output}")
    for old, new in replacements:
        assert old in text, f"{old!r} is not in pipelines/{name}.yaml"
        text = text.replace(old, new)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def smoke_pipeline(folder, output, replacements=()):
    """pipelines/smoke.yaml copied into `folder` (see `pipeline_copy`)."""
    return pipeline_copy("smoke", folder, output, replacements)


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """The smoke pipeline with 60 test galaxies, from SSP import to `digs sbc`: (folder, pipeline file)."""
    d = tmp_path_factory.mktemp("smoke")
    pipeline = smoke_pipeline(d, d, [("  test: 20 ", "  test: 60 ")])
    for args in (["ssp", "import"], ["sample-prior", "--set", "train"], ["sample-prior", "--set", "test"],
                 ["simulate", "--set", "train"], ["simulate", "--set", "test"], ["augment"], ["train"], ["observe"],
                 ["infer", "--samples", SAMPLES], ["sbc"]):
        digs(*args, "-c", pipeline)
    return d, pipeline


# Galaxies of known θ (log_mass, t_age, log_tau, log_z, dust2) for the ingest tests.
THETA = [(10.6, 3.0, 0.2, -0.3, 0.4), (11.1, 6.0, -0.4, 0.0, 0.8), (9.8, 1.2, 0.6, -1.0, 0.2)]


@pytest.fixture(scope="session")
def sdss(run, tmp_path_factory):
    """A small flow of pipelines/sdss.yaml (heteroscedastic noise, masks) and model spectra of THETA."""
    source, _ = run
    d = tmp_path_factory.mktemp("sdss")
    (d / "01_ssp_library.h5").symlink_to(source / "01_ssp_library.h5")
    pipeline = pipeline_copy("sdss", d, d, [("  train: 20000", "  train: 4000"), ("  test: 1000", "  test: 40"),
                                            ("hidden_features: 25", "hidden_features: 20"),
                                            ("num_transforms: 10", "num_transforms: 5"), ("max_epochs: 150", "max_epochs: 40"),
                                            ("embedding_features: [128, 64]", "embedding_features: [32]"),
                                            ("  samples: 1000", "  samples: 300"), ("importance_samples: 40000", "importance_samples: 2000"), ("  galaxies: 4", "  galaxies: 1"),
                                            ("burn_in: [1000, 1000, 1000]", "burn_in: [150, 150]"),
                                            ("  production: 80000", "  production: 300"), ("  thin: 160", "  thin: 5")])
    for args in (["sample-prior", "--set", "train"], ["simulate", "--set", "train"], ["augment"], ["train"]):
        digs(*args, "-c", pipeline)
    table = d / "theta.csv"
    with open(table, "w", newline="") as f:
        csv.writer(f).writerows([["log_mass", "t_age", "log_tau", "log_z", "dust2"], *THETA])
    digs("sample-prior", "-c", pipeline, "--from-table", table, "-o", d / "theta.h5")
    # The model on 1 Å pixels whose edges fall on the pipeline grid's (3750, 3751, … Å): the SDSS
    # files are made from it, and its averages over the 25 Å pixels are what ingest must give back.
    (d / "fine").mkdir()
    fine = pipeline_copy("sdss", d / "fine", d, [("wavelength_start: 3762.5", "wavelength_start: 3750.5"),
                                                 ("wavelength_step: 25", "wavelength_step: 1"), ("pixels: 156", "pixels: 5150")])
    digs("simulate", "-c", fine, "--theta", d / "theta.h5", "-o", d / "fine.h5")
    with h5py.File(d / "fine.h5") as f:
        rest, fine_flux = f["wavelength"][:], 10 ** f["log_flux"][:].astype(float)
    model = np.log10(fine_flux[:, :156 * 25].reshape(len(THETA), 156, 25).mean(axis=2))
    return d, pipeline, rest, fine_flux, model
