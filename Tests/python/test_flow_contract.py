"""A flow is only used under the prior and for the parameters it was trained on, and only
flow families this build knows are read (issue: architecture, extension points)."""
import shutil

import h5py

from digs_cli import digs


def test_infer_refuses_a_flow_trained_on_another_prior_box(run, tmp_path):
    d, pipeline = run
    other = tmp_path / "wider.yaml"
    text = pipeline.read_text()
    assert "{name: t_age, distribution: uniform, low: 0.01, high: 4}" in text
    other.write_text(text.replace("{name: t_age, distribution: uniform, low: 0.01, high: 4}",
                                  "{name: t_age, distribution: uniform, low: 0.01, high: 12}"))
    out = tmp_path / "posterior.h5"
    r = digs("infer", "-c", other, "--flow", d / "05_flow.h5", "--observations", d / "06_observations_test.h5",
             "--ssp", d / "01_ssp_library.h5", "-o", out, check=False)
    assert r.returncode != 0
    assert "model.parameters[1] (t_age)" in r.stderr and "[0.01, 12.0]" in r.stderr and "[0.01, 4.0]" in r.stderr, r.stderr
    assert not out.exists()


def test_an_unknown_flow_family_is_named_and_refused(run, tmp_path):
    d, pipeline = run
    flow = tmp_path / "flow.h5"
    shutil.copy(d / "05_flow.h5", flow)
    with h5py.File(flow, "r+") as f:
        f.attrs["architecture"] = "glow"
    r = digs("infer", "-c", pipeline, "--flow", flow, "-o", tmp_path / "p.h5", check=False)
    assert r.returncode != 0
    assert "architecture" in r.stderr and "'glow'" in r.stderr and "flow families maf, nsf" in r.stderr, r.stderr
