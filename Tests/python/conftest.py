"""Shared fixtures: the smoke pipeline run once through inference and calibration."""
import pytest

from digs_cli import ROOT, digs

SAMPLES = 300


def smoke_pipeline(folder, output, replacements=()):
    """Writes pipelines/smoke.yaml into `folder` with its products going to `output` and the
    given (old, new) text replacements; returns the file's path."""
    text = (ROOT / "pipelines" / "smoke.yaml").read_text().replace("output: products/smoke", f"output: {output}")
    for old, new in replacements:
        text = text.replace(old, new)
    path = folder / "smoke.yaml"
    path.write_text(text)
    return path


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
