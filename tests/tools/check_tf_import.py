#!/usr/bin/env python3
"""Checks a graph written by Kiln in real TensorFlow (tf.compat.v1 graph mode).

    check_tf_import.py GRAPH(.pb|.pbtxt) [--feed NAME=FILE.npy ...] [--fetch TENSOR[=EXPECTED.npy] ...]
                       [--target OP ...] [--save-fetch TENSOR=OUT.npy ...] [--tol 1e-5]

Imports the GraphDef with tf.compat.v1.import_graph_def(name=""), runs the targets in order (e.g.
"init" to initialize variables, then a train op) and then the fetches, each run with all the
feeds, as sess.run(..., feed_dict) does. Prints each fetched tensor's dtype, shape and first
values; when EXPECTED is given, compares TF's value with it: shapes and dtypes must be equal, NaNs
in the same places, and max |tf - expected| <= --tol. --save-fetch writes TF's value to OUT.npy.
Tensor names are TF's: "y" means "y:0". A .pbtxt (or .txt) graph is read as text format, anything
else as a binary GraphDef. Exits 0 when every comparison passes, 1 on a mismatch.

Needs TensorFlow (a venv outside the repo, e.g. /work/venv-tf); Kiln's test suite does not.
"""
import argparse
import sys

import numpy as np
import tensorflow as tf
from google.protobuf import text_format

tf1 = tf.compat.v1
tf1.disable_eager_execution()


def tensor_name(name):
    return name if ":" in name else name + ":0"


def pair(arg, option):
    if "=" not in arg:
        sys.exit(f"{option} expects NAME=FILE, got {arg!r}")
    name, path = arg.split("=", 1)
    return tensor_name(name), path


def compare(name, got, expected, tol):
    """Prints the comparison; returns True when got matches expected."""
    if got.shape != expected.shape or got.dtype != expected.dtype:
        print(f"{name}: MISMATCH tf {got.dtype}{list(got.shape)} vs expected {expected.dtype}{list(expected.shape)}")
        return False
    if got.size == 0:
        print(f"{name}: empty, shapes match")
        return True
    a, b = got.astype(np.float64), expected.astype(np.float64)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        print(f"{name}: MISMATCH NaNs in different places")
        return False
    keep = ~np.isnan(a)
    a, b = a[keep], b[keep]
    inf = np.isinf(a) | np.isinf(b)
    if not np.array_equal(a[inf], b[inf]):
        print(f"{name}: MISMATCH infinities differ")
        return False
    diff = float(np.max(np.abs(a[~inf] - b[~inf]), initial=0.0))
    ok = diff <= tol
    print(f"{name}: max |tf - expected| = {diff:.3g} (tol {tol:g}) {'ok' if ok else 'MISMATCH'}")
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("graph", help="GraphDef, binary (.pb) or text (.pbtxt)")
    p.add_argument("--feed", action="append", default=[], metavar="NAME=FILE.npy")
    p.add_argument("--fetch", action="append", default=[], metavar="TENSOR[=EXPECTED.npy]")
    p.add_argument("--target", action="append", default=[], metavar="OP")
    p.add_argument("--save-fetch", action="append", default=[], metavar="TENSOR=OUT.npy")
    p.add_argument("--tol", type=float, default=1e-5, help="max abs difference allowed (default 1e-5)")
    a = p.parse_args()

    gd = tf1.GraphDef()
    if a.graph.endswith((".pbtxt", ".txt")):
        with open(a.graph) as f:
            text_format.Parse(f.read(), gd)
    else:
        with open(a.graph, "rb") as f:
            gd.ParseFromString(f.read())
    g = tf.Graph()
    with g.as_default():
        tf1.import_graph_def(gd, name="")
    print(f"imported {len(gd.node)} nodes with TensorFlow {tf.__version__}")

    feeds = {g.get_tensor_by_name(k): np.load(v) for k, v in (pair(f, "--feed") for f in a.feed)}
    fetches = [(tensor_name(f.split("=", 1)[0]), f.split("=", 1)[1] if "=" in f else None) for f in a.fetch]
    saves = dict(pair(s, "--save-fetch") for s in a.save_fetch)
    names = list(dict.fromkeys([n for n, _ in fetches] + list(saves)))  # fetched once each, in order
    with tf1.Session(graph=g) as sess:
        for t in a.target:
            sess.run(g.get_operation_by_name(t), feeds)
        values = dict(zip(names, sess.run([g.get_tensor_by_name(n) for n in names], feeds))) if names else {}

    for name in names:
        v = np.asarray(values[name])
        print(f"{name}: {v.dtype} shape {list(v.shape)} {v.ravel()[:6]}{' ...' if v.size > 6 else ''}")
        if name in saves:
            np.save(saves[name], v)
    ok = True
    for name, expected in fetches:
        if expected is not None:
            ok = compare(name, np.asarray(values[name]), np.load(expected), a.tol) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
