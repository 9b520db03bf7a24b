#!/usr/bin/env python3
"""The issue's PyTorch accuracy anchor for mlp_bn (shared/peers/torch_accuracy.py `mlp_bn`, which set
the 0.875 target from one run, seed 0), run over several seeds two ways:

  torch  the anchor as it is: PyTorch's defaults (Kaiming-uniform kernels, batch norm momentum 0.1
         and epsilon 1e-5), softmax cross-entropy, all 60,000 training images;
  tf     the seed program's own settings (seed 002, TF1): Glorot-uniform kernels, zero biases,
         tf.layers.batch_normalization's momentum 0.99 and epsilon 1e-3, sigmoid cross-entropy on
         one-hot labels, 55,000 training images (read_data_sets holds 5,000 out for validation).

Both: 5 dense layers of 256..16 units without bias, each + batch norm + ReLU, dense 10; Adam 0.002
(epsilon 1e-8 as TF's); 3000 batches of 128 reshuffled each epoch; 1 thread. It shows how far the
target depends on PyTorch's defaults rather than on the program Kiln (and TF) runs.

  /usr/bin/python3 tests/tools/torch_mlp_bn_settings.py torch|tf SEED [SEED ...]   (Debian's python3-torch)
"""
import gzip, os, struct, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
D = os.environ.get("KILN_DATA", "/usr/share/datasets/fashion-mnist/")


def idx(path):
    b = gzip.open(os.path.join(D, path)).read()
    magic, n = struct.unpack(">II", b[:8])
    if magic == 2051:
        r, c = struct.unpack(">II", b[8:16])
        return np.frombuffer(b, np.uint8, offset=16).reshape(n, r * c)
    return np.frombuffer(b, np.uint8, offset=8)


xtr = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255)
ytr = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
xte = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255)
yte = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))


def model(tf_settings):
    layers, d = [], 784
    for i in range(1, 6):
        u = 2 ** (9 - i)
        linear, bn = nn.Linear(d, u, bias=False), nn.BatchNorm1d(u)
        if tf_settings:
            nn.init.xavier_uniform_(linear.weight)
            bn.momentum, bn.eps = 0.01, 1e-3  # TF's decay 0.99 is PyTorch's momentum 0.01
        layers += [linear, bn, nn.ReLU()]
        d = u
    out = nn.Linear(d, 10)
    if tf_settings:
        nn.init.xavier_uniform_(out.weight)
        nn.init.zeros_(out.bias)
    return nn.Sequential(*layers, out)


def run(tf_settings, seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    m = model(tf_settings)
    opt = torch.optim.Adam(m.parameters(), 0.002, eps=1e-8)
    n = 55000 if tf_settings else len(xtr)
    step = 0
    while step < 3000:
        perm = torch.randperm(n)
        for i in range(0, n - 128 + 1, 128):
            m.train()
            b = perm[i:i + 128]
            logits = m(xtr[b])
            if tf_settings:
                loss = F.binary_cross_entropy_with_logits(logits, F.one_hot(ytr[b], 10).float())
            else:
                loss = F.cross_entropy(logits, ytr[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step == 3000:
                break
    m.eval()
    with torch.no_grad():
        return (m(xte).argmax(1) == yte).float().mean().item()


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("torch", "tf"):
        sys.exit(__doc__)
    for seed in map(int, sys.argv[2:]):
        print(f"mlp_bn settings={sys.argv[1]} seed={seed} test_accuracy={run(sys.argv[1] == 'tf', seed):.4f}", flush=True)
