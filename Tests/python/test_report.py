"""`digs report`: the HTML page of a run, loaded in a real browser (headless Chromium), its
numbers against the products read with h5py, and refused when products of different runs mix."""
import html
import os
import re
import shutil
import struct
import subprocess

import h5py
import numpy as np
import pytest

from conftest import smoke_pipeline
from digs_cli import ROOT, digs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FIGURES = ["training", "ranks", "coverage", "recovery", "recovery-derived", "corner", "fit", "sfh", "spectra", "comparison"]
# Screenshots of the report go here, so CI keeps one (products/ is not in git).
ARTIFACTS = ROOT / "products" / "test-artifacts"


def browse(page, *flags):
    """Loads `page` in headless Chromium; returns (stdout, console lines of the page)."""
    result = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                             "--log-level=0", *flags, page.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report_run(run, tmp_path_factory):
    """A copy of the smoke run's products with MCMC chains and the catalog added, and its report."""
    source, _ = run
    d = tmp_path_factory.mktemp("report")
    for f in source.glob("*.h5"):
        shutil.copy(f, d / f.name)
    pipeline = smoke_pipeline(d, d, [("  test: 20 ", "  test: 60 ")])
    digs("mcmc", "-c", pipeline)
    digs("export", "-c", pipeline)
    r = digs("report", "-c", pipeline)
    return d, pipeline, d / "report" / "index.html", r


def test_report_loads_in_chromium_without_console_errors_and_every_image_resolves(report_run):
    assert CHROMIUM, "chromium is not installed (make test installs the Debian package)"
    _, _, index, r = report_run
    assert r.stdout.strip() == str(index)
    dom, console = browse(index, "--dump-dom")
    assert console == [], console
    # The page's own script counts images that loaded (naturalWidth > 0) once the page is done.
    assert f'data-images="{len(FIGURES)} of {len(FIGURES)} loaded"' in dom
    for name in FIGURES:
        assert f'src="figures/{name}.png"' in dom
        assert (index.parent / "figures" / f"{name}.pdf").read_bytes().startswith(b"%PDF")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    browse(index, f"--screenshot={shot}", "--window-size=1200,3000")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1200, 3000)


def test_the_browser_check_catches_a_missing_figure_and_a_script_error(report_run, tmp_path):
    """Negative control: the same page with one figure gone and a failing script is caught."""
    d, _, index, _ = report_run
    broken = tmp_path / "report"
    shutil.copytree(index.parent, broken)
    (broken / "figures" / "fit.png").unlink()
    text = (broken / "index.html").read_text().replace("</body>", "<script>undefinedFunction();</script></body>")
    (broken / "index.html").write_text(text)
    dom, console = browse(broken / "index.html", "--dump-dom")
    assert f'data-images="{len(FIGURES) - 1} of {len(FIGURES)} loaded"' in dom
    assert "figure figures/fit.png did not load" in dom
    assert any("undefinedFunction" in line for line in console)


def test_report_tables_hold_the_products_numbers(report_run):
    d, _, index, _ = report_run
    page = html.unescape(index.read_text())
    with h5py.File(d / "08_sbc_test.h5") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["parameter_names"]]
        ks, rmse = f["ks_pvalue"][:], f["accuracy/rmse"][:]
        galaxies = f["ranks"].shape[0]
    assert f"Calibration on {galaxies} test galaxies" in page
    for j, name in enumerate(names):
        row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", page).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert float(cells[0]) == pytest.approx(ks[j], abs=5e-4)
        assert float(cells[4]) == pytest.approx(rmse[j], abs=5e-5)
    smallest = re.search(r"KS p-value ≥ 0.01 for every parameter: <b>smallest ([0-9.]+)</b>", page)
    assert float(smallest.group(1)) == pytest.approx(ks.min(), abs=5e-4)
    # Quality flags: the number of galaxies with each bit, as numpy counts them.
    with h5py.File(d / "07_posterior_test.h5") as f:
        flags = f["flags"][()]
    for bit in (1, 2, 4, 8):
        count = int(((flags & bit) != 0).sum())
        row = re.search(rf"<tr><td>{bit}</td><td>[^<]*</td><td>(\d+) of (\d+)</td><td>[^<]*</td><td>([^<]*)</td></tr>", page)
        assert row and int(row.group(1)) == count and int(row.group(2)) == len(flags), bit
        assert ("problem" in row.group(3)) == (count > 0.05 * len(flags))
    # Provenance: every product with its full content digest.
    for f in sorted(d.glob("*.h5")):
        with h5py.File(f) as h:
            digest = h.attrs["content_digest"]
        assert f'title="{digest}"' in page and f.name in page
    # NPE vs MCMC: the number of galaxies the chains hold.
    with h5py.File(d / "09_mcmc_test.h5") as f:
        assert f"NPE vs MCMC on {f['chains'].shape[0]} galaxies" in page
        assert np.all(np.isfinite(f["best_log_flux"][:]))


def copy_of_run(report_run, folder):
    """The report run's products and catalog copied into `folder`, with a pipeline file there."""
    d, _, _, _ = report_run
    folder.mkdir()
    for f in list(d.glob("*.h5")) + [d / "catalog_test.fits"]:
        shutil.copy(f, folder / f.name)
    return smoke_pipeline(folder, folder, [("  test: 20 ", "  test: 60 ")])


def test_products_of_different_runs_are_refused(report_run, tmp_path):
    mixed = tmp_path / "mixed"
    pipeline = copy_of_run(report_run, mixed)
    # A posterior drawn again with other settings: the SBC result beside it was not made from it.
    digs("infer", "-c", pipeline, "--samples", 120, "--force")
    r = digs("report", "-c", pipeline, check=False)
    assert r.returncode != 0
    assert "08_sbc_test.h5" in r.stderr and "07_posterior_test.h5" in r.stderr and "different runs" in r.stderr
    assert not (mixed / "report" / "index.html").exists()
    # With the SBC redone the catalog is the odd one out.
    digs("sbc", "-c", pipeline, "--force")
    os.remove(mixed / "09_mcmc_test.h5")
    r = digs("report", "-c", pipeline, check=False)
    assert r.returncode != 0 and "catalog_test.fits" in r.stderr and "POSTDIG" in r.stderr, r.stderr


def test_text_from_a_product_is_escaped_in_the_report(report_run, tmp_path):
    """A product's `created` attribute is anyone's text (attributes are outside the content
    digest): markup in it is shown as text, never put into the page as an element."""
    copy = tmp_path / "hostile"
    pipeline = copy_of_run(report_run, copy)
    hostile = '<img src=x onerror="document.title=1">'
    with h5py.File(copy / "02_theta_train.h5", "r+") as f:
        f.attrs["created"] = hostile
    digs("report", "-c", pipeline)
    page = (copy / "report" / "index.html").read_text()
    assert hostile not in page and "<img src=x" not in page
    assert html.escape(hostile, quote=True).replace("&#x27;", "'") in page or "&lt;img src=x onerror=" in page
