"""Helpers to run the built `digs` binary from the Python checks."""
import os
import pathlib
import subprocess

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIGS = pathlib.Path(os.environ.get("DIGS_BINARY", ROOT / ".build" / "release" / "digs"))


def digs(*args, check=True, cwd=ROOT):
    """Runs `digs ARGS…` from the repository root; returns the CompletedProcess."""
    result = subprocess.run([str(DIGS), *map(str, args)], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"digs {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}")
    return result


def model_spectra(pipeline, theta, folder):
    """The noiseless model spectra `digs simulate` makes of the θ rows (log_mass, t_age, log_tau,
    log_z, dust2) under `pipeline`, via a CSV table and `digs sample-prior --from-table`."""
    table = folder / "theta.csv"
    table.write_text("log_mass,t_age,log_tau,log_z,dust2\n" + "\n".join(",".join(f"{v:.12g}" for v in t) for t in theta))
    digs("sample-prior", "-c", pipeline, "--from-table", table, "-o", folder / "t.h5")
    digs("simulate", "-c", pipeline, "--theta", folder / "t.h5", "-o", folder / "s.h5")
    with h5py.File(folder / "s.h5", "r") as s:
        return s["log_flux"][()].astype(np.float64)
