"""Objects per second and peak memory of `digs ingest` for SDSS spec files and DESI coadd files.

Usage: python Tests/benchmarks/ingest_rate.py N [DIGS] [FOLDER]

Writes N SDSS spec files (one object each) and N DESI targets in coadd files of 500 targets with
their redrock files (the DESI healpix files hold up to a few thousand), each with an object table,
into FOLDER (default: a temporary folder, removed afterwards), then times `digs ingest --table`
of each onto the grid of pipelines/sdss.yaml, and of the first N/10 of each, to show whether the
memory grows with the number of objects. The spectra are a smooth continuum with emission lines
at z 0.02–0.2 with photon noise: what a reader and the resampling see; their values do not
change the work. Prints objects/s, wall seconds and peak resident memory (MB) per run.
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from survey_files import write_desi, write_redrock, write_sdss  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def model():
    """A rest-frame L_λ [L☉/Å] on 1 Å pixels, 3000–9000 Å: a tilted continuum and a few lines."""
    rest = np.arange(3000.5, 9000.5, 1.0)
    lum = 1e7 * (rest / 5500) ** -1.5
    for line in (3727.1, 4861.3, 5006.8, 6562.8):
        lum += 2e7 * np.exp(-0.5 * ((rest - line) / 3.0) ** 2)
    return rest, lum


# Measured from a fresh, small interpreter: a child forked from this one (numpy, astropy and the
# written spectra in memory) would count this process's pages in its peak memory until its exec.
MEASURE = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(status, time.perf_counter() - start, usage.ru_maxrss / 1024)
"""


def run(digs, table, out):
    """Wall seconds and peak resident memory (MB) of one `digs ingest` process (wait4's own rusage)."""
    command = [digs, "ingest", "-c", str(ROOT / "pipelines" / "sdss.yaml"), "--table", str(table), "-o", str(out), "--force"]
    status, seconds, peak = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True,
                                           check=True).stdout.split()
    if status != "0":
        raise SystemExit(f"digs ingest failed: {' '.join(command)}")
    return float(seconds), float(peak)


def main():
    n = int(sys.argv[1])
    digs = sys.argv[2] if len(sys.argv) > 2 else str(ROOT / ".build" / "release" / "digs")
    folder = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(tempfile.mkdtemp(prefix="digs-ingest-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    rest, lum = model()
    rng = np.random.default_rng(1)
    sdss_rows, desi_rows = [], []
    for k in range(n):
        name = f"spec-{k // 1000:04d}-55000-{k % 1000 + 1:04d}.fits"
        if not (folder / name).exists():
            write_sdss(folder / name, rest, lum, rng.uniform(0.02, 0.2), (k // 1000, 55000, k % 1000 + 1), snr=20, rng=rng)
        sdss_rows.append(name)
    per_file = 500
    for f in range((n + per_file - 1) // per_file):
        ids = [39627000000000000 + per_file * f + j for j in range(min(per_file, n - per_file * f))]
        name = f"coadd-main-dark-{f}.fits"
        if not (folder / name).exists():
            zs = rng.uniform(0.02, 0.2, len(ids))
            write_desi(folder / name, rest, [lum] * len(ids), zs, ids, snr=20, rng=rng)
            write_redrock(folder / f"redrock-main-dark-{f}.fits", ids, zs)
        desi_rows += [(name, i) for i in ids]
    tables = {}
    for label, rows, header, line in (("SDSS", sdss_rows, "file", lambda r: r),
                                      ("DESI", desi_rows, "file,targetid", lambda r: f"{r[0]},{r[1]}")):
        for size in (max(1, n // 10), n):
            table = folder / f"{label.lower()}-{size}.csv"
            table.write_text(header + "\n" + "".join(line(r) + "\n" for r in rows[:size]))
            tables[(label, size)] = table
    cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                if l.startswith("Model name")), "unknown CPU")
    print(f"digs ingest rates on {cpu} ({os.cpu_count()} cores); grid of pipelines/sdss.yaml (156 pixels)")
    print(f"{'format':<6} {'objects':>8} {'seconds':>8} {'objects/s':>10} {'peak MB':>8}")
    for (label, size), table in tables.items():
        seconds, peak = run(digs, table, folder / f"obs-{label}-{size}.h5")
        print(f"{label:<6} {size:>8} {seconds:>8.1f} {size / seconds:>10.0f} {peak:>8.0f}")


if __name__ == "__main__":
    main()
