"""Every mistake in a pipeline file is refused before the first stage runs, with the file,
the key path, its line and what was expected — never ignored, never reported as
"not valid YAML", never found only when its stage comes, and sizes that cannot fit the
machine are refused with the estimate (issue 19, items 4–7).
"""
import pytest

from conftest import smoke_pipeline
from digs_cli import digs

# (what the smoke pipeline's text becomes, words the message must hold)
CASES = {
    "misspelt key": (("realisations: 10 ", "realisatons: 3 "),
                     ["augment.realisatons (line 30)", "is not a setting", "did you mean 'realisations'"]),
    "misspelt section": (("sample_prior:", "sample_priors:"), ["sample_priors (line 26)", "did you mean 'sample_prior'"]),
    "key in the wrong section": (("  samples: 200", "  samples: 200\n  clip_max_norm: 5"), ["infer.clip_max_norm (line 42)", "is not a setting"]),
    "low above high": (("low: 8, high: 13", "low: 13, high: 8"), ["model.parameters[0] (line 12)", "log_mass", "low < high"]),
    "infinite bound": (("low: -1, high: 1}", "low: .inf, high: 1}"), ["model.parameters[2] (line 14)", "finite"]),
    "NaN bound": (("low: 0.1, high: 1.0}", "low: .nan, high: 1.0}"), ["model.parameters[4] (line 16)", "finite"]),
    "duplicated parameter": (("{name: log_mass,", "{name: log_tau,"), ["model.parameters (line 11)", "exactly once"]),
    "empty parameter list": (("  parameters:                    # priors, in the order of theta\n",
                              "  parameters: []\n  unused:\n"), ["model.parameters", "exactly once"]),
    "no pixels": (("    pixels: 138", "    pixels: 0"), ["instrument.pixels (line 22)", "at least 2"]),
    "pixels not a number": (("    pixels: 138", "    pixels: many"), ["model.instrument.pixels (line 22)", "expected an integer"]),
    "zero batch": (("batch_size: 200", "batch_size: 0"), ["train.batch_size (line 35)", "at least 2"]),
    "validation fraction": (("validation_fraction: 0.1", "validation_fraction: 1.5"), ["train.validation_fraction (line 36)", "(0, 1)"]),
    "negative learning rate": (("learning_rate: 5.0e-4", "learning_rate: -1"), ["train.learning_rate (line 34)", "positive"]),
    "spline bins for a MAF": (("batch_size: 200", "batch_size: 200\n  num_bins: 8"), ["train.num_bins (line 36)", "belongs to flow: nsf"]),
    "one spline bin": (("batch_size: 200", "batch_size: 200\n  flow: nsf\n  num_bins: 1"), ["train.num_bins (line 37)", "2…64 bins"]),
    "unknown flow": (("batch_size: 200", "batch_size: 200\n  flow: realnvp"), ["train.flow (line 36)", "realnvp", "maf, nsf"]),
    "refinement without resampling": (("  samples: 200", "  samples: 200\n  refinement_rounds: 3"), ["infer.refinement_rounds (line 42)", "importance_resampling: true"]),
    "zero samples": (("  samples: 200", "  samples: 0"), ["infer.samples (line 41)", "at least 1"]),
    "odd walkers": (("walkers: 16", "walkers: 3"), ["mcmc.walkers (line 45)", "even and at least twice"]),
    "empty SSP range": (("wavelength_max: 25000", "wavelength_max: 100"), ["ssp.wavelength_min (line 8)", "wavelength_min < wavelength_max"]),
    "duplicated key": (("seed: 7", "seed: 7\nseed: 8"), ["seed (line 4)", "set twice"]),
    "10^9 noise draws": (("realisations: 10 ", "realisations: 1000000000 "), ["pipeline sizes", "augment: 120.0 TB", "free", "augment.realisations"], "augment"),
    "10^12 prior draws": (("  train: 200 ", "  train: 1000000000000 "), ["pipeline sizes", "TB", "free"], "sample-prior"),
    "10^6 hidden units": (("hidden_features: 16", "hidden_features: 1000000"), ["pipeline sizes", "train: 96.0 TB", "train.hidden_features"], "train"),
    "10^10 walkers": (("walkers: 16", "walkers: 10000000000"), ["pipeline sizes", "mcmc", "mcmc.walkers"], "mcmc"),
    "5x10^7 pairs in memory": (("realisations: 10 ", "realisations: 250000 "), ["pipeline sizes", "augment.realisations"], "train"),  # memory (or disk, on a small disk)
    "syntax error": (("  test: 20 ", "  test: [20 "), ["line 29, column 1", "invalid YAML"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_pipeline_file_is_refused_with_its_key_and_line(tmp_path, case):
    replacement, words, *stage = CASES[case]
    pipeline = smoke_pipeline(tmp_path, tmp_path / "out", [replacement])
    for args in (["run", pipeline, "--dry-run"], ["run", pipeline], [*(stage or ["sample-prior"]), "-c", pipeline]):
        result = digs(*args, check=False)
        assert result.returncode != 0, (case, args)
        assert str(pipeline) in result.stderr, result.stderr
        for word in words:
            assert word in result.stderr, (case, result.stderr)
        assert "not valid YAML" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_every_shipped_pipeline_file_is_accepted():
    from digs_cli import ROOT
    for path in sorted((ROOT / "pipelines").glob("*.yaml")):
        digs("run", path, "--dry-run")


def test_a_misspelt_command_names_the_nearest_one():
    """`digs infr -c smoke.yaml`: the word is no command; the message says which one was meant and
    lists them, instead of the parser's complaint about the options after it (issue 36)."""
    result = digs("infr", "-c", "pipelines/smoke.yaml", check=False)
    assert result.returncode == 64 and result.stdout == ""
    assert "'infr' is not a digs command (did you mean 'infer'?)" in result.stderr, result.stderr
    assert "validate" in result.stderr and "benchmark" in result.stderr
    assert digs("benchmark", "simulate", "--help").returncode == 0


def test_a_stage_without_a_pipeline_file_says_none_was_given(tmp_path):
    """`digs infer` alone reads the defaults' products/default/…, which a newcomer never made:
    the message says that no pipeline file was given and how to give one (issue 36)."""
    result = digs("infer", check=False, cwd=tmp_path)
    assert result.returncode == 1 and "products/default/05_flow.h5" in result.stderr
    assert "no pipeline file was given" in result.stderr and "-c <pipeline.yaml>" in result.stderr, result.stderr
    other = digs("infer", "-c", "pipelines/smoke.yaml", "--flow", tmp_path / "none.h5", check=False)
    assert other.returncode == 1 and "no pipeline file was given" not in other.stderr
