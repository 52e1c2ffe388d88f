"""Benchmark: `digs train` against sbi's NPE `maf` on the same training pairs, same run.

Both train the paper's flow (25 hidden × 10 transforms, context = 138 pixels) with batches
of 200 for two epochs on the first N rows of an augmented_batches product; the figure is
training pairs per second (the 90 % training split, validation excluded for DIGS, included
for sbi's `.train()` as sbi reports it, and excluded in sbi's bare loop).
Usage (needs torch + sbi + h5py, e.g. a separate virtualenv):
    python train_vs_sbi.py AUGMENTED.h5 [N] [DIGS_BINARY]
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import torch


def digs_pairs_per_second(digs, data, n, threads, tmp):
    out = os.path.join(tmp, f"flow_{threads}.h5")
    r = subprocess.run([digs, "train", "--data", data, "--limit", str(n), "-o", out, "--force", "--max-epochs", "2",
                        "--threads", str(threads)], capture_output=True, text=True, check=True)
    rates = [float(m) for m in re.findall(r"([0-9.]+) pairs/s", r.stderr)]
    return rates[-1]


def sbi_pairs_per_second(theta, x, threads):
    from sbi.neural_nets import posterior_nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n_train = int(0.9 * len(theta))
    net = posterior_nn(model="maf", hidden_features=25, num_transforms=10)(theta[:n_train], x[:n_train])
    optimizer = torch.optim.Adam(net.parameters(), lr=5e-4)
    batches = n_train // 200
    start = time.perf_counter()
    for _ in range(2):
        order = torch.randperm(n_train)
        for b in range(batches):
            j = order[b * 200:(b + 1) * 200]
            optimizer.zero_grad()
            loss = -net.log_prob(theta[j].unsqueeze(0), x[j])[0].mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=5.0)
            optimizer.step()
    return 2 * batches * 200 / (time.perf_counter() - start)


def main():
    data = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    digs = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else
                           os.path.join(os.path.dirname(__file__), "..", "..", ".build", "release", "digs"))
    with h5py.File(data, "r") as f:
        m = min(n, f["x"].shape[0])
        x = torch.from_numpy(np.asarray(f["x"][:m], dtype=np.float32))
        theta = torch.from_numpy(np.asarray(f["theta"][:m], dtype=np.float32))
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # sbi writes logs in the working directory
        print(f"{m} pairs (x: {x.shape[1]} pixels), batch 200, 25 x 10 MAF, 2 epochs; load {os.getloadavg()[0]:.2f}")
        print(f"{'threads':>8}{'sbi pairs/s':>14}{'DIGS pairs/s':>15}{'ratio':>8}")
        for t in (1, 2):
            theirs = sbi_pairs_per_second(theta, x, t)
            ours = digs_pairs_per_second(digs, data, m, t, tmp)
            print(f"{t:>8}{theirs:>14.0f}{ours:>15.0f}{ours / theirs:>8.1f}")


if __name__ == "__main__":
    main()
