"""No damaged product crashes or hangs DIGS (issue 19, item 3).

- The 16 mutants of a theta_grid that crashed libhdf5 (SIGSEGV in H5HG_read through H5Aread
  of variable-length strings), allocated 139 TB from a corrupted dataspace, trapped on a
  [20, 1] θ or hung (Tests/fixtures/damaged-hdf5): `digs validate`,
  `digs inspect` and `digs simulate` each exit 1 naming the file, without a signal, within
  seconds.
- A seeded fuzz test: 1–32 bytes flipped or randomised in small products of three kinds
  (theta_grid, sed_set, observation_set, flow_model: 520 mutants); `digs validate` (and
  `digs inspect` on every other mutant) must exit 0 or 1 — never a signal, never a hang — and
  name the file when it fails.
"""
import concurrent.futures
import subprocess
import time

import numpy as np
import pytest

from digs_cli import DIGS, ROOT

FIXTURES = ROOT / "Tests" / "fixtures" / "damaged-hdf5"
TIMEOUT = 20  # s; a hang is anything beyond this


def run(args):
    began = time.monotonic()
    try:
        r = subprocess.run([str(DIGS), *map(str, args)], capture_output=True, text=True, timeout=TIMEOUT)
        return r.returncode, r.stderr + r.stdout, time.monotonic() - began
    except subprocess.TimeoutExpired:
        return "hang", "", TIMEOUT


@pytest.fixture(scope="module")
def ssp(tmp_path_factory):
    path = tmp_path_factory.mktemp("ssp") / "ssp.h5"
    subprocess.run([str(DIGS), "ssp", "import", "-o", str(path)], check=True, capture_output=True)
    return path


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("theta_*.h5")))
def test_each_known_damaged_file_gets_a_clean_error(name, ssp, tmp_path):
    path = FIXTURES / name
    for args in (["validate", path], ["inspect", path],
                 ["simulate", "--theta", path, "--ssp", ssp, "-o", tmp_path / "sed.h5"]):
        code, output, seconds = run(args)
        assert code != "hang", (name, args)
        assert code in (0, 1), (name, args[0], code, output[-2000:])
        if args[0] != "simulate":  # simulate may use a file whose damage it does not read
            assert code == 1 and str(path) in output, (name, args[0], output[-500:])
        assert seconds < 12, (name, args[0], seconds)
        assert "Program crashed" not in output and "Fatal error" not in output


def mutants(source, count, seed):
    data = source.read_bytes()
    rng = np.random.default_rng(seed)
    for _ in range(count):
        mutated = bytearray(data)
        for _ in range(int(rng.integers(1, 33))):
            i = int(rng.integers(0, len(mutated)))
            mutated[i] = mutated[i] ^ (1 << int(rng.integers(0, 8))) if rng.random() < 0.5 else int(rng.integers(0, 256))
        yield bytes(mutated)


def test_fuzzed_products_never_crash_or_hang(run_products, tmp_path):
    sources = {"theta_grid": "02_theta_test.h5", "sed_set": "03_sed_test.h5",
               "observation_set": "06_observations_test.h5", "flow_model": "05_flow.h5"}
    jobs = []
    for k, (kind, name) in enumerate(sources.items()):
        for i, blob in enumerate(mutants(run_products / name, 130, seed=1000 + k)):
            path = tmp_path / f"{kind}_{i:03d}.h5"
            path.write_bytes(blob)
            jobs.append(["validate", path])
            if i % 2 == 0:
                jobs.append(["inspect", path])
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, jobs))
    bad = [(str(args[1].name), args[0], code, output[-300:]) for args, (code, output, _) in zip(jobs, results)
           if code not in (0, 1) or (code == 1 and str(args[1]) not in output) or "Program crashed" in output]
    counts = {c: sum(1 for code, _, _ in results if code == c) for c in (0, 1)}
    print(f"{len(jobs)} runs on 520 mutants: {counts}, slowest {max(s for _, _, s in results):.2f} s")
    assert not bad, bad[:5]


@pytest.fixture(scope="module")
def run_products(run):
    return run[0]
