#!/usr/bin/env python3
"""The issue's PyTorch accuracy anchor for the Keras CNN of seed 000 (shared/peers/torch_accuracy.py
`cnn`), run again with Keras' defaults in place of PyTorch's: Glorot-uniform kernels, zero biases,
Adam epsilon 1e-7. Everything else is the anchor's: data scaled to [0, 1], batch 32, 10 epochs,
reshuffled each epoch, 1 thread. It shows how much of the anchor's accuracy comes from PyTorch's
initializers rather than from the program Kiln (and TF's Keras) runs.

  /usr/bin/python3 tests/tools/torch_keras_init.py [SEED ...]     (Debian's python3-torch)
"""
import gzip, os, struct, sys, time

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
        return np.frombuffer(b, np.uint8, offset=16).reshape(n, r, c)
    return np.frombuffer(b, np.uint8, offset=8)


xtr = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
ytr = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
xte = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
yte = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))


def keras_cnn():
    # The anchor's model (seed_models.cnn): conv 3x3x32, max pool 2, conv 3x3x64, flatten,
    # dropout .2, dense 128, dropout .3, dense 10, no activations.
    m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.Flatten(), nn.Dropout(0.2),
                      nn.Linear(64 * 11 * 11, 128), nn.Dropout(0.3), nn.Linear(128, 10))
    for layer in m:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)  # Keras' glorot_uniform: fan in and out include the window
            nn.init.zeros_(layer.bias)
    return m


for seed in [int(s) for s in sys.argv[1:]] or [0]:
    torch.manual_seed(seed)
    model = keras_cnn()
    opt = torch.optim.Adam(model.parameters(), 1e-3, eps=1e-7)
    t0, n, batch = time.time(), len(xtr), 32
    for epoch in range(10):
        perm = torch.randperm(n)
        model.train()
        for i in range(0, n - batch + 1, batch):
            b = perm[i:i + batch]
            loss = F.cross_entropy(model(xtr[b]), ytr[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"seed={seed} epoch={epoch + 1} test_acc={acc:.4f} train_s={time.time() - t0:.0f}", flush=True)
