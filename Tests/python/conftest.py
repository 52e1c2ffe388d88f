"""Shared fixtures: the smoke pipeline run once through inference and calibration."""
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
