"""Every setting re-runs exactly the stages that read it — checked by running the stages, not by
trusting their declarations.

`digs run --print-plan` says what each stage reads of the pipeline file (`StageReads`, what its
fingerprint holds). For every leaf of the settings tree (`digs run --print-settings`, plus the
optional keys a file may add), the stages whose declared reads change are D(leaf). Then, on the
products of one smoke run:

- no stage reads more than it declares: each stage, run alone with *every* leaf it does not
  declare changed at once, gives the same product as before (one run per stage);
- no stage declares what it does not read: each stage of D(leaf), run alone with that leaf
  changed, gives a different product (a few leaves are read but cannot change this pipeline's
  products; each is listed with the reason).

Together with the plan's rule (a stage re-runs when its reads or its inputs' digests change) the
stages `digs run` re-runs are exactly those whose products change. The stale-observe case of the
issue that asked for this is checked end to end as well."""
import copy
import json
import shutil

import h5py
import numpy as np
import pytest
import yaml
from astropy.io import fits

from conftest import smoke_pipeline
from digs_cli import digs
from product_digest import content_digest
from test_observed import REAL_SDSS, SDSS_DATA

# Keys a pipeline file may set that the defaults leave out, with a valid value for each.
OPTIONAL = {
    "model.observation.model_error_dex": 0.02,
    "model.observation.flux_calibration": {"degree": 2, "sigma_dex": 0.05},
    "model.observation.emission_line_mask": {"half_width_kms": 600},   # with HETEROSCEDASTIC noise (it needs masks)
    "train.flow": "nsf",
    "train.theta_transform": "probit",
    "train.analytic_mass": True,
    "observed.table": "objects.csv",
}
HETEROSCEDASTIC = {"model": "heteroscedastic", "sigma_dex_min": 0.01, "sigma_dex_max": 0.05, "flux_exponent": 0,
                   "sigma_shape_degree": 2, "sigma_shape_dex_max": 0.1, "tilt_dex_max": 0.2, "mask_edge_probability": 0.3,
                   "mask_edge_max_fraction": 0.1, "mask_pixel_probability": 0.01}
# Leaves of the optional mappings above, and of variants the defaults do not use, with the
# settings they need beside them.
OPTIONAL_PARTS = {
    "model.observation.flux_calibration.degree": ({"model.observation.flux_calibration": {"degree": 3, "sigma_dex": 0.05}}),
    "model.observation.flux_calibration.sigma_dex": ({"model.observation.flux_calibration": {"degree": 2, "sigma_dex": 0.2}}),
    "model.observation.emission_line_mask.lines_angstrom": (
        {"model.observation.emission_line_mask": {"half_width_kms": 800, "lines_angstrom": [4861.3, 6562.8]},
         "model.observation.noise": HETEROSCEDASTIC}),
    "infer.refinement_rounds": ({"infer.refinement_rounds": 2, "infer.importance_resampling": True}),
    "model.dust.index": ({"model.dust": {"law": "power_law", "index": -1.0}}),
    "train.num_bins": ({"train.flow": "nsf", "train.num_bins": 4}),
    "train.tail_bound": ({"train.flow": "nsf", "train.tail_bound": 4.0}),
}
DELETE = object()
# Leaves whose change needs others changed with it.
TOGETHER = {
    "infer.importance_resampling": {"infer.importance_resampling": True, "infer.importance_samples": 400},
    "train.lr_schedule": {"train.lr_schedule": "cosine", "train.lr_decay_factor": DELETE, "train.lr_decay_patience": DELETE},
    "mcmc.schedule": {"mcmc.schedule": "paper", "mcmc.walkers": DELETE, "mcmc.burn_in": DELETE, "mcmc.production": DELETE,
                      "mcmc.thin": DELETE},
}
# Changes that a leaf's generic rule cannot make valid.
SPECIAL = {
    "name": "smoke2",
    "infer.importance_samples": 150,
    "model.nebular.max_age_yr": 3.0e7,   # 1.1e7 yr adds no SSP age bin
    "train.clip_max_norm": 0.01,
    "infer.ppc_pvalue": 1.0e-200,   # smoke's 5-epoch flow fits badly: its p-values are 0 … 1e-89
    "model.observation.noise.model": {"model": "fractional", "fraction": 0.05},
    "model.dust.law": {"law": "power_law", "index": -0.7},
    "model.parameters[0].distribution": "log_uniform",
    "model.parameters[0].name": None,          # names are the model's own: renaming one is refused
    "model.sfh.family": None,                  # another family needs its own parameters: test_model_version
    "train.context_transform": "level_shape",
    "train.lr_decay_factor": 0.5,
    "train.min_learning_rate": 1.0e-5,
    "mcmc.init": "prior",
    "observed.format": "sdss",
    "observed.medium": "air",
    "train.validation_fraction": 0.2,
    "ssp.wavelength_max": 24000,
    "model.instrument.wavelength_start": 3070,
    "model.instrument.pixels": 130,
    "train.embedding_features": [8],
    "mcmc.burn_in": [100, 100],
    "mcmc.walkers": 20,
    "observed.fit_figures": 3,
    "sample_prior.test": 21,
    "sample_prior.train": 201,
}
# Leaves that are read but cannot change this pipeline's products, and why.
INEFFECTIVE = {
    "infer.chunk": "results do not depend on how galaxies are chunked (by construction)",
    "infer.importance_resampling": "smoke's 5-epoch flow fails k̂ for every galaxy, where the flow's own draws are kept",
    "train.stop_after_epochs": "smoke trains 5 epochs: patience 20 or 21 never stops it",
    "train.lr_decay_patience": "smoke trains 5 epochs: the plateau rule never fires",
    "train.lr_decay_factor": "smoke trains 5 epochs: the plateau rule never fires",
    "train.min_learning_rate": "the plateau schedule never decays within 5 epochs",
    "mcmc.attempts": "the reference schedule's chains converge at the first attempt here",
    "mcmc.ball_fraction": "the screened start places the walkers on distinct prior draws",
    "observed.format": "auto already recognises these SDSS files",
}
# (leaf, stage) pairs where the stage reads the leaf but cannot change its product with it here.
INEFFECTIVE_AT = {
    **{("model.parameters[0].distribution", s): "simulate checks θ against the prior box, not its density"
       for s in ("simulate-train", "simulate-test")},
    **{("model.parameters[0].high", s): "simulate checks θ against the box: θ inside both boxes gives the same spectra"
       for s in ("simulate-train", "simulate-test")},
    ("model.parameters[0].distribution", "train"): "the flow stores the prior box, not its density (it learns from the pairs)",
    # infer and mcmc draw the noise only for a sed_set given directly; on the pipeline's
    # observation_set the σ are the data's own (a re-run they do not need, never a stale one).
    **{(leaf, s): "on an observation_set infer and mcmc use the data's own σ"
       for leaf in ("model.observation.noise.model", "model.observation.noise.sigma_dex") for s in ("infer", "mcmc")},
}
# Not read by any stage: where things are kept, not what is computed.
NOT_READ = {"output": "the products' folder", "ssp.cache": "where the downloaded SSP library is kept"}


def leaves(tree, prefix=""):
    """Path → value of every leaf: scalars, lists of scalars; the first of a list of mappings
    stands for its keys (model.parameters[i] share one shape)."""
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            out |= leaves(v, f"{prefix}.{k}" if prefix else k)
        return out
    if isinstance(tree, list) and tree and isinstance(tree[0], dict):
        return leaves(tree[0], f"{prefix}[0]")
    return {prefix: tree}


def get_parent(tree, path):
    """The mapping that holds the last key of `path`, and that key."""
    parts = path.replace("[", ".[").split(".")
    node = tree
    for p in parts[:-1]:
        node = node[int(p[1:-1])] if p.startswith("[") else node.setdefault(p, {})
    return node, parts[-1]


def set_leaf(tree, path, value):
    node, key = get_parent(tree, path)
    node[key] = value


def changed(path, value):
    """A valid value other than `value` for leaf `path`."""
    if path in NOT_READ:
        return value + "-elsewhere"
    if path in SPECIAL:
        return SPECIAL[path]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 1.1 if value else 0.05
    if isinstance(value, str):
        raise AssertionError(f"{path}: no rule to change the text {value!r}; add one to SPECIAL")
    raise AssertionError(f"{path}: no rule to change {value!r}; add one to SPECIAL")


def with_change(settings, path):
    """The settings with leaf `path` changed (variants replace their whole mapping)."""
    s = copy.deepcopy(settings)
    if path in OPTIONAL_PARTS or path in TOGETHER:
        for p, v in (OPTIONAL_PARTS | TOGETHER)[path].items():
            if v is DELETE:
                node, key = get_parent(s, p)
                node.pop(key, None)
            else:
                set_leaf(s, p, copy.deepcopy(v))
        return s
    if path in OPTIONAL:
        set_leaf(s, path, copy.deepcopy(OPTIONAL[path]))
        if path == "model.observation.emission_line_mask":
            set_leaf(s, "model.observation.noise", copy.deepcopy(HETEROSCEDASTIC))
        return s
    node, key = get_parent(s, path)
    new = changed(path, node[key])
    if isinstance(new, dict) and key in ("model", "law"):   # a variant: its whole mapping
        node.clear()
        node.update(new)
    else:
        node[key] = new
    return s


def write(settings, folder, name):
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps(settings))   # JSON is YAML
    return path


def plan(pipeline):
    return {s["name"]: s for s in json.loads(digs("run", "--print-plan", pipeline).stdout)}


def product_identity(path):
    """What a product computed: an HDF5 product's content digest (recomputed with hashlib), or a
    FITS file's data and header cards other than times and checksums."""
    if str(path).endswith(".h5"):
        return content_digest(path)
    with fits.open(path) as hdus:
        volatile = {"DATE", "CHECKSUM", "DATASUM", "POSTTIME", "CREATED"}
        return [([(c.keyword, str(c.value)) for c in h.header.cards if c.keyword not in volatile],
                 None if h.data is None else np.asarray(h.data).tobytes()) for h in hdus]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The smoke pipeline run once with `digs run`: (folder, settings, plan, D), D: leaf → the
    stages whose declared reads change with it."""
    d = tmp_path_factory.mktemp("reads")
    pipeline = smoke_pipeline(d, d / "out")
    digs("run", pipeline)
    settings = json.loads(digs("run", "--print-settings", pipeline).stdout)
    base_plan = plan(pipeline)
    D = {p: declared(base_plan, write(with_change(settings, p), d, "changed"))
         for p in leaves(settings) if p not in NOT_READ and SPECIAL.get(p, 0) is not None and not p.startswith("observed.")}
    return d, settings, base_plan, D


def all_leaves(settings):
    found = leaves(settings)
    found |= {p: None for p in OPTIONAL} | {p: None for p in OPTIONAL_PARTS}
    return found


def declared(base_plan, pipeline):
    """The stages whose declared reads differ between the base plan and `pipeline`'s."""
    other = plan(pipeline)
    return {name for name, step in other.items() if name not in base_plan or base_plan[name]["reads"] != step["reads"]}


def run_alone(step, pipeline, out):
    """The stage's command on the base products, its product written to `out`; a pipeline whose
    instrument grid is not the observations' is refused by the likelihood's stages (infer,
    mcmc), which is a change of what they make too."""
    r = digs(*step["arguments"], "-c", pipeline, "--force", "-o", out, check=False)
    if r.returncode == 1 and "Error:" in r.stderr:   # a clean refusal (e.g. θ outside a narrowed prior box)
        return "refused: " + r.stderr
    assert r.returncode == 0, r.stderr
    return product_identity(out)


def test_every_leaf_is_read_by_some_stage_or_said_to_be_read_by_none(base, tmp_path):
    d, settings, base_plan, _ = base
    observed = dict(settings) | {"observed": dict(settings["observed"], table="objects.csv")}
    observed_plan = plan(write(observed, tmp_path, "observed"))
    unread = []
    for path in all_leaves(settings):
        if path == "observed.table" or path.startswith("observed."):   # read only where a table is named
            reference, s = observed_plan, observed
        else:
            reference, s = base_plan, settings
        if path == "observed.table" or SPECIAL.get(path, 0) is None:
            continue
        stages = declared(reference, write(with_change(s, path), tmp_path, "changed"))
        if not stages and path not in NOT_READ:
            unread.append(path)
        if path in NOT_READ:
            assert not stages, f"{path} is said to be read by no stage, but {stages} declare it"
    assert not unread, f"settings that no stage reads (a silently ignored key): {unread}"


def test_no_stage_reads_more_than_it_declares(base, tmp_path):
    """Each stage, with every leaf it does not declare changed at once, makes the same product."""
    d, settings, base_plan, D = base
    for name, step in base_plan.items():
        if step.get("output") is None:
            continue
        undeclared = [p for p, stages in D.items() if name not in stages]
        undeclared.sort(key=lambda p: p in TOGETHER)   # groups last: they set leaves beside their own
        s = settings
        for p in undeclared:
            node, key = get_parent(s, p)
            s = with_change(s, p) if key in node else s
        s["output"] = settings["output"]
        pipeline = write(s, tmp_path, f"all-but-{name}")
        before = product_identity(d / "out" / step.get("output"))
        after = run_alone(step, pipeline, tmp_path / f"{name}{'.fits' if step['output'].endswith('.fits') else '.h5'}")
        assert after == before, f"{name} changed its product when only settings it does not declare changed ({undeclared})"


def test_every_declared_read_changes_the_product(base, tmp_path):
    d, settings, base_plan, D = base
    checked = 0
    for path, stages in D.items():
        pipeline = write(with_change(settings, path), tmp_path, "changed")
        for name in sorted(stages):
            step = base_plan[name]
            if step.get("output") is None:
                continue
            before = product_identity(d / "out" / step.get("output"))
            after = run_alone(step, pipeline, tmp_path / f"{name}{'.fits' if step['output'].endswith('.fits') else '.h5'}")
            if path in INEFFECTIVE:
                continue
            if (path, name) in INEFFECTIVE_AT:
                continue
            assert after != before, f"{name} declares {path} but its product does not change with it"
            checked += 1
    assert checked > 50


def test_optional_settings_change_what_their_stages_make(base, tmp_path):
    d, settings, base_plan, _ = base
    for path in OPTIONAL | OPTIONAL_PARTS:
        if path.startswith("observed."):
            continue
        pipeline = write(with_change(settings, path), tmp_path, "changed")
        stages = declared(base_plan, pipeline)
        assert stages, path
        for name in sorted(stages & {"augment", "observe"}):
            step = base_plan[name]
            after = run_alone(step, pipeline, tmp_path / f"{name}.h5")
            assert after != product_identity(d / "out" / step.get("output")), (path, name)


def test_ingest_reads_the_instrument_grid_and_its_own_settings(base, tmp_path):
    """Ingest resamples onto model.instrument: changing the grid re-runs it and changes its product;
    changing anything it does not declare does not."""
    d, settings, *_ = base
    observed = copy.deepcopy(settings)
    files = [str(SDSS_DATA / n) for n in REAL_SDSS]
    (tmp_path / "objects.csv").write_text("file\n" + "\n".join(files) + "\n")
    observed["observed"]["table"] = str(tmp_path / "objects.csv")
    observed["model"]["instrument"] |= {"wavelength_start": 3762.5, "wavelength_step": 25, "pixels": 156}
    base_file = write(observed, tmp_path, "observed")
    reference = plan(base_file)
    digs("ingest", "-c", base_file, "-o", tmp_path / "base.h5")
    before = product_identity(tmp_path / "base.h5")
    for path in ["model.instrument.pixels", "model.instrument.wavelength_step", "observed.ebv_mag", "observed.cosmology.Om0",
                 "observed.cosmology.H0"]:
        changed_file = write(with_change(observed, path) if path != "model.instrument.pixels"
                             else observed | {"model": observed["model"] | {"instrument": observed["model"]["instrument"] | {"pixels": 150}}},
                             tmp_path, "changed")
        assert "ingest" in declared(reference, changed_file), path
        digs("ingest", "-c", changed_file, "-o", tmp_path / "c.h5", "--force")
        assert product_identity(tmp_path / "c.h5") != before, path
    # Everything ingest does not declare, changed at once: the same observations.
    s = copy.deepcopy(observed)
    s["train"]["hidden_features"] += 3
    s["infer"]["samples"] += 7
    s["model"]["observation"]["noise"]["sigma_dex"] *= 2
    s["model"]["nebular"]["log_u"] = -3.0
    s["mcmc"]["galaxies"] = 1
    other = write(s, tmp_path, "other")
    assert "ingest" not in declared(reference, other)
    digs("ingest", "-c", other, "-o", tmp_path / "o.h5", "--force")
    assert product_identity(tmp_path / "o.h5") == before


def test_a_changed_observation_model_reruns_observe_and_gives_fresh_products(base, tmp_path):
    """The issue's case: a copy of smoke, run; model_error_dex added (0.01 dex: σ 1.1× the
    trained noise, which this flow of x alone still takes); `digs run` re-runs observe,
    and every product equals that of a fresh run of the changed file."""
    d, settings, *_ = base
    folder = tmp_path / "incremental"
    shutil.copytree(d / "out", folder)
    s = copy.deepcopy(settings) | {"output": str(folder)}
    s["model"]["observation"]["model_error_dex"] = 0.01
    pipeline = write(s, tmp_path, "error")
    dry = digs("run", "--dry-run", pipeline).stdout
    assert "would run observe" in dry and "would run augment" in dry, dry
    digs("run", pipeline)
    fresh = write(s | {"output": str(tmp_path / "fresh")}, tmp_path, "fresh")
    digs("run", fresh)
    for step in plan(pipeline).values():
        if step.get("output") and step.get("output").endswith(".h5") and step["name"] != "ssp":
            assert product_identity(folder / step.get("output")) == product_identity(tmp_path / "fresh" / step.get("output")), step["name"]


@pytest.mark.parametrize("change", [{"pixels": 130}, {"wavelength_start": 3070}])
def test_infer_and_mcmc_refuse_a_pipeline_grid_that_is_not_the_observations(base, tmp_path, change):
    """Another pixel count crashed the likelihood (index out of range); a shifted start (10 Å) ran
    and compared the model at other wavelengths with the data, exit 0. Both are refused now."""
    d, settings, base_plan, _ = base
    s = copy.deepcopy(settings)
    s["model"]["instrument"] |= change
    pipeline = write(s, tmp_path, "grid")
    for name in ("infer", "mcmc"):
        r = digs(*base_plan[name]["arguments"], "-c", pipeline, "--force", "-o", tmp_path / f"{name}.h5", check=False)
        assert r.returncode == 1, (name, r.returncode, r.stderr[-500:])
        assert "06_observations_test.h5: wavelength: has 138 pixels, 3060.00–9910.00 Å" in r.stderr, r.stderr
        assert "model.instrument grid has" in r.stderr and not (tmp_path / f"{name}.h5").exists()
