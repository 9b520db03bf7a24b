#!/usr/bin/env python3
"""Checks a graph written by Kiln in real TensorFlow (tf.compat.v1 graph mode).

    check_tf_import.py GRAPH(.pb|.pbtxt) [--feed NAME=FILE.npy ...] [--fetch TENSOR[=EXPECTED.npy] ...]
                       [--target OP ...] [--save-fetch TENSOR=OUT.npy ...] [--tol 1e-5]

Imports the GraphDef with tf.compat.v1.import_graph_def(name=""), runs the targets (e.g. "init"
to initialize variables) and then the fetches with the feeds, prints each fetched tensor's shape
and first values, and compares with EXPECTED (max abs difference) when given. Exits 1 on a
mismatch. Needs TensorFlow (a venv outside the repo); Kiln's test suite does not.
"""
import argparse
import sys

import numpy as np
import tensorflow as tf
from google.protobuf import text_format

tf1 = tf.compat.v1
tf1.disable_eager_execution()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("graph")
    p.add_argument("--feed", action="append", default=[])
    p.add_argument("--fetch", action="append", default=[])
    p.add_argument("--target", action="append", default=[])
    p.add_argument("--save-fetch", action="append", default=[])
    p.add_argument("--tol", type=float, default=1e-5)
    a = p.parse_args()
    gd = tf1.GraphDef()
    if a.graph.endswith((".pbtxt", ".txt")):
        text_format.Parse(open(a.graph).read(), gd)
    else:
        gd.ParseFromString(open(a.graph, "rb").read())
    g = tf.Graph()
    with g.as_default():
        tf1.import_graph_def(gd, name="")
    print(f"imported {len(gd.node)} nodes with TensorFlow {tf.__version__}")
    feeds = {g.get_tensor_by_name(k if ":" in k else k + ":0"): np.load(v)
             for k, v in (f.split("=", 1) for f in a.feed)}
    fetches = [f.split("=", 1) for f in a.fetch]
    saves = dict(s.split("=", 1) for s in a.save_fetch)
    ok = True
    with tf1.Session(graph=g) as sess:
        for t in a.target:
            sess.run(g.get_operation_by_name(t), feeds)
        names = [f[0] for f in fetches] + [s for s in saves if s not in [f[0] for f in fetches]]
        values = sess.run([g.get_tensor_by_name(n) for n in names], feeds) if names else []
    for name, value in zip(names, values):
        print(f"{name}: shape {value.shape} {value.ravel()[:6]}")
        if name in saves:
            np.save(saves[name], value)
    for f, value in zip(fetches, values):
        if len(f) == 2:
            diff = float(np.max(np.abs(value.astype(np.float64) - np.load(f[1]).astype(np.float64))))
            print(f"{f[0]}: max |tf - expected| = {diff:.3g}")
            ok = ok and diff <= a.tol
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
