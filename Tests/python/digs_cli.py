"""Helpers to run the built `digs` binary from the Python checks."""
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIGS = pathlib.Path(os.environ.get("DIGS_BINARY", ROOT / ".build" / "release" / "digs"))


def digs(*args, check=True, cwd=ROOT):
    """Runs `digs ARGS…` from the repository root; returns the CompletedProcess."""
    result = subprocess.run([str(DIGS), *map(str, args)], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"digs {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}")
    return result
