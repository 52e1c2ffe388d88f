"""Benchmark: posterior sampling of `digs infer` against sbi's NPE `maf`, same run, same flow size.

sbi 0.27: a 25 hidden × 10 transform `maf` on θ (5 parameters, box prior) and x (138 pixels),
trained for 10 epochs on the first 20 000 pairs of an augmented_batches product, then per
galaxy `DirectPosterior.sample((S,), x=x_o)` (sbi's own path, which rejects samples outside
the prior, so its cost grows with the leakage), `sample_batched` over all galaxies at once,
and the bare flow without the prior check (`posterior_estimator.sample`, the lower bound of
sbi's cost for this flow). DIGS: `digs benchmark infer` on the same observations (sampling alone,
and everything `digs infer` computes per galaxy). The figure is milliseconds per galaxy.
Usage (needs torch + sbi + h5py):
    python infer_vs_sbi.py PIPELINE.yaml AUGMENTED.h5 SED_TEST.h5 [GALAXIES] [DIGS_BINARY]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import torch

SAMPLES = 1000


def digs_ms(digs, pipeline, sed, galaxies, threads):
    folder = os.path.dirname(sed)  # the pipeline's output folder: flow and SSP library beside the test set
    r = subprocess.run([digs, "benchmark", "infer", "-c", pipeline, "--observations", sed, "-n", str(galaxies),
                        "--flow", os.path.join(folder, "05_flow.h5"), "--ssp", os.path.join(folder, "01_ssp_library.h5"),
                        "--samples", str(SAMPLES), "--threads", str(threads), "--json"],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def sbi_posterior(theta, x, low, high):
    from sbi.inference import NPE
    from sbi.utils import BoxUniform
    prior = BoxUniform(torch.tensor(low, dtype=torch.float32), torch.tensor(high, dtype=torch.float32))
    from sbi.neural_nets import posterior_nn
    inference = NPE(prior=prior, density_estimator=posterior_nn(model="maf", hidden_features=25, num_transforms=10),
                    show_progress_bars=False)
    inference.append_simulations(theta, x)
    estimator = inference.train(max_num_epochs=10, training_batch_size=200)
    return inference.build_posterior(estimator)


def main():
    pipeline, data, sed = (os.path.abspath(a) for a in sys.argv[1:4])
    galaxies = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    digs = os.path.abspath(sys.argv[5] if len(sys.argv) > 5 else
                           os.path.join(os.path.dirname(__file__), "..", "..", ".build", "release", "digs"))
    with h5py.File(data, "r") as f:
        x = torch.from_numpy(np.asarray(f["x"][:20000], dtype=np.float32))
        theta = torch.from_numpy(np.asarray(f["theta"][:20000], dtype=np.float32))
    with h5py.File(sed, "r") as f:
        sigma = 0.0211893
        rng = np.random.default_rng(1)
        xo = np.asarray(f["log_flux"][:galaxies], dtype=np.float32)
        xo = torch.from_numpy(xo + rng.normal(0, sigma, xo.shape).astype(np.float32))
    low, high = theta.min(0).values.numpy() - 1e-3, theta.max(0).values.numpy() + 1e-3
    print(f"{galaxies} galaxies x {SAMPLES} samples, 25 x 10 MAF, x = {x.shape[1]} pixels; load {os.getloadavg()[0]:.2f}")
    print(f"{'threads':>8}{'sbi sample':>12}{'sbi batched':>13}{'sbi flow':>10}{'DIGS sample':>13}{'DIGS infer':>12}"
          f"{'ratio':>8}{'vs flow':>9}   (ms per galaxy; ratios: sbi sample / DIGS sample, sbi flow / DIGS sample)")
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # sbi writes logs in the working directory
        torch.manual_seed(0)
        posterior = sbi_posterior(theta, x, low, high)
        for t in (1, 2):
            torch.set_num_threads(t)
            n = min(galaxies, 20)
            start = time.perf_counter()
            for i in range(n):
                posterior.sample((SAMPLES,), x=xo[i], show_progress_bars=False)
            per_galaxy = 1000 * (time.perf_counter() - start) / n
            start = time.perf_counter()
            posterior.sample_batched((SAMPLES,), x=xo, show_progress_bars=False)
            batched = 1000 * (time.perf_counter() - start) / galaxies
            start = time.perf_counter()
            with torch.no_grad():
                for i in range(n):
                    posterior.posterior_estimator.sample(torch.Size([SAMPLES]), condition=xo[i:i + 1])
            flow_only = 1000 * (time.perf_counter() - start) / n
            ours = digs_ms(digs, pipeline, sed, galaxies, t)
            s = ours["samplingMilliseconds"]
            print(f"{t:>8}{per_galaxy:>12.2f}{batched:>13.2f}{flow_only:>10.2f}{s:>13.2f}{ours['fullMilliseconds']:>12.2f}"
                  f"{per_galaxy / s:>8.0f}{flow_only / s:>9.0f}")


if __name__ == "__main__":
    main()
