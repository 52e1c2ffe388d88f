"""Shared fixtures: the smoke pipeline run once through inference and calibration."""
import pytest

from digs_cli import ROOT, digs

SAMPLES = 300


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """The smoke pipeline with 60 test galaxies, from SSP import to `digs sbc`: (folder, pipeline file)."""
    d = tmp_path_factory.mktemp("smoke")
    text = (ROOT / "pipelines" / "smoke.yaml").read_text().replace("output: products/smoke", f"output: {d}")
    text = text.replace("  test: 20 ", "  test: 60 ")
    pipeline = d / "smoke.yaml"
    pipeline.write_text(text)
    for args in (["ssp", "import"], ["sample-prior", "--set", "train"], ["sample-prior", "--set", "test"],
                 ["simulate", "--set", "train"], ["simulate", "--set", "test"], ["augment"], ["train"], ["observe"],
                 ["infer", "--samples", SAMPLES], ["sbc"]):
        digs(*args, "-c", pipeline)
    return d, pipeline
