#!/usr/bin/env python3
"""Writes the TensorFlow-made fixtures in tests/data/tf/, Kiln's oracle for op semantics.

Each graph fixture is a directory with graph.pb (binary GraphDef as TF writes it), graph.pbtxt (the
same as text), input and expected-output .npy files, and manifest.txt:
    feed  <tensor>  <file.npy>
    fetch <tensor>  <expected.npy>  <abs_tol>
    value <name>    <file.npy>          (value-only fixtures: gradients, training steps)
Rerun (needs TensorFlow, e.g. in a venv outside the repo, with tf_keras for tf.compat.v1.layers):
    TF_USE_LEGACY_KERAS=1 /work/venv-tf/bin/python tests/tools/make_tf_fixtures.py
Kiln's test suite reads the files and never needs TensorFlow.
tests/data/tf/README.md describes each fixture and the TF version that made it.
"""
import os
import sys

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "tf")
# The ops Kiln's foundation supports; a fixture graph must stay inside this set.
ALLOWED = {"Placeholder", "PlaceholderWithDefault", "Const", "Identity", "NoOp", "MatMul", "Add", "AddV2",
           "BiasAdd", "Sub", "Mul", "RealDiv", "Neg", "Exp", "Log", "Relu", "Softmax",
           "SoftmaxCrossEntropyWithLogits", "Mean", "Sum", "ArgMax", "Equal", "Cast", "Reshape", "OneHot"}


class Fixture:
    def __init__(self, name):
        self.dir = os.path.join(ROOT, name)
        os.makedirs(self.dir, exist_ok=True)
        self.lines = []

    def save(self, fname, array):
        a = np.asarray(array)  # not ascontiguousarray: it turns 0-d scalars into shape (1,)
        np.save(os.path.join(self.dir, fname), a if a.flags.c_contiguous else a.copy())
        return fname

    def feed(self, tensor, array):
        f = self.save(tensor.replace(":", "_").replace("/", "_") + ".npy", array)
        self.lines.append(f"feed {tensor} {f}")

    def fetch(self, tensor, array, tol):
        f = self.save("expected_" + tensor.replace(":", "_").replace("/", "_") + ".npy", array)
        self.lines.append(f"fetch {tensor} {f} {tol}")

    def value(self, name, array):
        self.lines.append(f"value {name} {self.save(name + '.npy', array)}")

    def graph(self, graph_def, check_ops=True, text=True):
        ops = {n.op for n in graph_def.node}
        assert not check_ops or ops <= ALLOWED, f"{self.dir}: ops outside the foundation set: {ops - ALLOWED}"
        with open(os.path.join(self.dir, "graph.pb"), "wb") as f:
            f.write(graph_def.SerializeToString(deterministic=True))
        if text:
            with open(os.path.join(self.dir, "graph.pbtxt"), "w") as f:
                f.write(str(graph_def))

    def close(self):
        with open(os.path.join(self.dir, "manifest.txt"), "w") as f:
            f.write(f"# written by tests/tools/make_tf_fixtures.py with TensorFlow {tf.__version__}\n")
            f.write("\n".join(self.lines) + "\n")


def run_graph(fx, build, feeds, fetches):
    """build(g) -> dict name->tensor; feeds: {tensor_name: array}; fetches: [(tensor_name, tol)]."""
    g = tf.Graph()
    with g.as_default():
        build()
        with tf1.Session(graph=g) as sess:
            values = sess.run([f for f, _ in fetches], {g.get_tensor_by_name(k): v for k, v in feeds.items()})
    fx.graph(g.as_graph_def())
    for k, v in feeds.items():
        fx.feed(k, v)
    for (name, tol), v in zip(fetches, values):
        fx.fetch(name, v, tol)
    fx.close()


def softmax_frozen():
    rng = np.random.RandomState(1)
    W = (rng.randn(784, 10) * 0.05).astype(np.float32)
    b = (rng.randn(10) * 0.05).astype(np.float32)
    x = rng.rand(4, 784).astype(np.float32)

    def build():
        xp = tf1.placeholder(tf.float32, [None, 784], name="x")
        tf.nn.softmax(tf.matmul(xp, tf.constant(W)) + tf.constant(b), name="y")
    run_graph(Fixture("softmax_frozen"), build, {"x:0": x}, [("y:0", 1e-6)])


def softmax_frozen_biasadd():
    rng = np.random.RandomState(2)
    W = (rng.randn(784, 10) * 0.05).astype(np.float32)
    b = (rng.randn(10) * 0.05).astype(np.float32)
    x = rng.rand(3, 784).astype(np.float32)

    def build():
        xp = tf1.placeholder(tf.float32, [None, 784], name="x")
        mm = tf.matmul(xp, tf.constant(W))
        logits = tf.nn.bias_add(mm, tf.constant(b), name="logits")
        old_add = tf.raw_ops.Add(x=mm, y=tf.constant(b), name="logits_add")
        tf.nn.softmax(logits, name="probs")
        tf.identity(old_add, name="add_out")
    run_graph(Fixture("softmax_frozen_biasadd"), build, {"x:0": x},
              [("logits:0", 1e-5), ("probs:0", 1e-6), ("add_out:0", 1e-5)])


def mlp_frozen():
    rng = np.random.RandomState(3)
    W1 = (rng.randn(784, 32) * 0.05).astype(np.float32)
    b1 = (rng.randn(32) * 0.05).astype(np.float32)
    W2 = (rng.randn(32, 10) * 0.2).astype(np.float32)
    b2 = (rng.randn(10) * 0.05).astype(np.float32)
    x = rng.rand(5, 784).astype(np.float32)

    def build():
        xp = tf1.placeholder(tf.float32, [None, 784], name="x")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(xp, tf.constant(W1)), tf.constant(b1)), name="hidden")
        probs = tf.nn.softmax(tf.matmul(h, tf.constant(W2)) + tf.constant(b2), name="probs")
        tf.argmax(probs, 1, name="pred")
    run_graph(Fixture("mlp_frozen"), build, {"x:0": x}, [("hidden:0", 1e-5), ("probs:0", 1e-6), ("pred:0", 0)])


def ops_mix():
    rng = np.random.RandomState(4)
    a = rng.randn(3, 4).astype(np.float32)
    b = rng.randn(3, 5).astype(np.float32)
    c = rng.randn(5, 4).astype(np.float32)
    pos = (rng.rand(3, 4) + 0.5).astype(np.float32)
    r3 = rng.randn(2, 3, 4).astype(np.float32)
    ints = rng.randint(0, 3, size=(6,)).astype(np.int64)
    frac = np.array([-2.7, -0.5, 0.0, 0.49, 1.5, 3.99], np.float32)
    idx = np.array([0, 3, 9, -1, 12], np.int32)
    col = rng.randn(3, 1).astype(np.float32)
    row = rng.randn(1, 4).astype(np.float32)
    logits = rng.randn(4, 6).astype(np.float32)
    labels = np.eye(6, dtype=np.float32)[[1, 0, 5, 2]]
    fetches = []

    def f(t, tol=1e-5):
        fetches.append((t.name, tol))

    def build():
        A = tf1.placeholder(tf.float32, [None, 4], name="A")
        B = tf1.placeholder(tf.float32, [3, 5], name="B")
        C = tf1.placeholder(tf.float32, [5, 4], name="C")
        P = tf1.placeholder(tf.float32, [3, 4], name="P")
        R = tf1.placeholder(tf.float32, [2, 3, 4], name="R")
        I = tf1.placeholder(tf.int64, [6], name="I")
        F = tf1.placeholder(tf.float32, [6], name="F")
        X = tf1.placeholder(tf.int32, [5], name="X")
        COL = tf1.placeholder(tf.float32, [3, 1], name="COL")
        ROW = tf1.placeholder(tf.float32, [1, 4], name="ROW")
        L = tf1.placeholder(tf.float32, [None, 6], name="L")
        Y = tf1.placeholder(tf.float32, [None, 6], name="Y")
        f(tf.matmul(B, C, name="mm"))
        f(tf.matmul(B, A, transpose_a=True, name="mm_ta"))
        f(tf.matmul(A, C, transpose_b=True, name="mm_tb"))
        f(tf.matmul(C, B, transpose_a=True, transpose_b=True, name="mm_tab"))
        f(tf.subtract(A, P, name="sub"))
        f(tf.multiply(A, P, name="mul"))
        f(tf.realdiv(A, P, name="div"))
        f(tf.negative(A, name="neg"))
        f(tf.exp(A, name="exp"))
        f(tf.math.log(P, name="log"))
        f(tf.reduce_sum(A, axis=1, keepdims=True, name="sum_keep"))
        f(tf.reduce_mean(R, axis=[0, 1], name="mean01"))
        f(tf.reduce_sum(R, axis=[0, 1, 2], name="sum_all"))
        f(tf.reduce_mean(R, axis=-1, name="mean_neg"))
        f(tf.argmax(A, 0, name="argmax0"), 0)
        f(tf.argmax(A, 1, output_type=tf.int32, name="argmax1_i32"), 0)
        f(tf.argmax(A, 1, name="argmax1"), 0)
        f(tf.argmax(A, 0, output_type=tf.int32, name="argmax0_i32"), 0)
        f(tf.equal(I, tf.constant(1, tf.int64), name="eq"), 0)
        f(tf.cast(tf.equal(I, tf.constant(2, tf.int64)), tf.float32, name="cast_bool"), 0)
        f(tf.cast(F, tf.int32, name="cast_trunc"), 0)
        f(tf.reshape(R, [-1, 4], name="reshape"), 0)
        f(tf.one_hot(X, 10, 1.0, 0.0, name="onehot"), 0)
        f(tf.one_hot(X, 10, 1.0, 0.0, axis=0, name="onehot_axis0"), 0)
        f(tf1.placeholder_with_default(tf.constant([1.5, 2.5]), [2], name="pwd"), 0)
        xent = tf.raw_ops.SoftmaxCrossEntropyWithLogits(features=L, labels=Y, name="xent")
        fetches.append(("xent:0", 1e-5))
        fetches.append(("xent:1", 1e-6))
        f(tf.identity(A, name="ident"), 0)
        f(tf.add(COL, ROW, name="bcast_add"))
        f(tf.multiply(B, tf.constant(2.5), name="bcast_scalar"))
        f(tf.add(A, tf.constant(np.arange(4, dtype=np.float32)), name="bcast_row"))
    feeds = {"A:0": a, "B:0": b, "C:0": c, "P:0": pos, "R:0": r3, "I:0": ints, "F:0": frac, "X:0": idx,
             "COL:0": col, "ROW:0": row, "L:0": logits, "Y:0": labels}
    run_graph(Fixture("ops_mix"), build, feeds, fetches)  # build() fills `fetches`


def softmax_grad():
    rng = np.random.RandomState(5)
    x = rng.rand(8, 784)
    y = np.eye(10)[rng.randint(0, 10, 8)]
    W = rng.randn(784, 10) * 0.05
    b = rng.randn(10) * 0.05
    fx = Fixture("softmax_grad")
    for k, v in {"x": x, "y": y, "W": W, "b": b}.items():
        fx.value(k, v)
    g = tf.Graph()
    with g.as_default():
        xv, yv = tf.constant(x), tf.constant(y)
        Wv, bv = tf1.Variable(W), tf1.Variable(b)
        logits = tf.matmul(xv, Wv) + bv
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=yv, logits=logits))
        manual = tf.reduce_mean(-tf.reduce_sum(yv * tf.math.log(tf.nn.softmax(logits)), axis=1))
        grads = tf.gradients(loss, [Wv, bv]) + tf.gradients(manual, [Wv, bv])
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            l, m, dW, db, dWm, dbm = sess.run([loss, manual] + grads)
    for k, v in {"loss": l, "dW": dW, "db": db, "loss_manual": m, "dW_manual": dWm, "db_manual": dbm}.items():
        fx.value(k, v)
    fx.close()


def softmax_train_step():
    rng = np.random.RandomState(6)
    x = rng.rand(16, 784).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.randint(0, 10, 16)]
    W0 = (rng.randn(784, 10) * 0.01).astype(np.float32)
    b0 = (rng.randn(10) * 0.01).astype(np.float32)
    fx = Fixture("softmax_train_step")
    for k, v in {"x": x, "y": y, "W0": W0, "b0": b0}.items():
        fx.value(k, v)
    g = tf.Graph()
    with g.as_default():
        xp = tf1.placeholder(tf.float32, [None, 784])
        yp = tf1.placeholder(tf.float32, [None, 10])
        W, b = tf1.Variable(W0), tf1.Variable(b0)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=yp, logits=tf.matmul(xp, W) + b))
        step = tf1.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            l0, _ = sess.run([loss, step], {xp: x, yp: y})
            W1, b1 = sess.run([W, b])
    for k, v in {"loss0": np.float32(l0), "W1": W1, "b1": b1}.items():
        fx.value(k, v)
    fx.close()


def mlp_bn_train_step():
    """The seed-002 mlp_bn training graph as TF builds it (tf.layers.dense + batch_normalization with an
    is_training placeholder, UPDATE_OPS control dependency, Adam), one training step: Kiln imports the
    whole GraphDef (cond, RefSwitch, moments, Adam, gradients) and must give TF's updated variables."""
    # TF 1.x's graph: ref variables (VariableV2, RefSwitch) and Switch/Merge control flow.
    tf1.disable_resource_variables()
    tf1.disable_control_flow_v2()
    try:
        _mlp_bn_train_step()
    finally:
        tf1.enable_resource_variables()
        tf1.enable_control_flow_v2()


def _mlp_bn_train_step():
    rng = np.random.RandomState(7)
    x = rng.rand(32, 28, 28, 1).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.randint(0, 10, 32)]
    fx = Fixture("mlp_bn_train_step")
    g = tf.Graph()
    with g.as_default():
        inputs = tf1.placeholder(tf.float32, [None, 28, 28, 1], name="inputs")
        labels = tf1.placeholder(tf.float32, [None, 10], name="labels")
        is_training = tf1.placeholder(tf.bool, name="is_training")
        layer = tf.reshape(inputs, [-1, 784])
        d = 784
        for i in range(1, 6):  # the seed's layers, with fixed initial weights instead of glorot draws
            units = 2 ** (9 - i)
            w0 = (rng.uniform(-1, 1, (d, units)) * np.sqrt(6.0 / (d + units))).astype(np.float32)
            layer = tf1.layers.dense(layer, units, use_bias=False, activation=None,
                                     kernel_initializer=tf1.constant_initializer(w0))
            layer = tf1.layers.batch_normalization(layer, training=is_training)
            layer = tf.nn.relu(layer)
            d = units
        w0 = (rng.uniform(-1, 1, (d, 10)) * np.sqrt(6.0 / (d + 10))).astype(np.float32)
        logits = tf.identity(tf1.layers.dense(layer, 10, kernel_initializer=tf1.constant_initializer(w0)), "logits")
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(logits=logits, labels=labels), name="model_loss")
        with tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
            # epsilon 1e-4, not the default 1e-8: with 1e-8 Adam's first step is nearly sign(g), which
            # turns float32 rounding in gradients that cancel to ~1e-8 (BN gamma's sum(dy * xhat)) into
            # 2% differences of the step; 1e-4 keeps the comparison meaningful at 1e-5.
            train_opt = tf1.train.AdamOptimizer(0.002, epsilon=1e-4).minimize(loss)
        init = tf1.global_variables_initializer()
        with tf1.Session(graph=g) as sess:
            sess.run(init)
            loss0, _ = sess.run([loss, train_opt], {inputs: x, labels: y, is_training: True})
            variables = {v.op.name: sess.run(v) for v in tf1.global_variables()}
            logits_eval = sess.run(logits, {inputs: x, is_training: False})
    fx.graph(g.as_graph_def(), check_ops=False, text=False)  # the text form of the weights is 3.5 MB
    fx.lines += [f"op init {init.name}", f"op train {train_opt.name}", "op loss model_loss:0", "op logits logits:0",
                 "op inputs inputs:0", "op labels labels:0", "op is_training is_training:0"]
    fx.value("x", x)
    fx.value("y", y)
    fx.value("loss0", np.float32(loss0))
    fx.value("logits_eval", logits_eval)
    for name, v in sorted(variables.items()):
        if name.startswith("dense/kernel/Adam"):
            continue  # 0.8 MB each; the first layer's kernel itself is checked, and the other slots
        fx.lines.append(f"var {name} {fx.save('var_' + name.replace('/', '_') + '.npy', v)}")
    fx.close()


def random_ops():
    """Seeded RandomUniform / RandomStandardNormal / TruncatedNormal in float and double: Kiln's
    Philox stream must give TF's numbers exactly, on the first run and (value lines) the second."""
    fx = Fixture("random_ops")
    g = tf.Graph()
    with g.as_default():
        tf1.set_random_seed(5)
        ts = [tf1.random_normal([7, 5], name="n"), tf1.truncated_normal([9, 7], name="t"),
              tf1.random_uniform([3, 5], -2, 3, name="u"), tf1.random_normal([3, 3], dtype=tf.float64, name="nd"),
              tf1.truncated_normal([5], dtype=tf.float64, name="td"),
              tf1.random_uniform([6], dtype=tf.float64, seed=9, name="ud")]
        with tf1.Session(graph=g) as sess:
            first = sess.run(ts)
            second = sess.run(ts)
    fx.graph(g.as_graph_def(), check_ops=False)
    for t, a, b in zip(ts, first, second):
        fx.fetch(t.name, a, 0)
        fx.value("second_" + t.op.name.replace("/", "_"), b)
    fx.close()


def conv_pool():
    """Conv2D / MaxPool / AvgPool values and their tf.gradients, SAME and VALID, with strides."""
    rng = np.random.RandomState(7)
    x = rng.randn(2, 7, 6, 3)
    fx = Fixture("conv_pool")
    fx.value("x", x)
    g = tf.Graph()
    with g.as_default():
        xv = tf.constant(x)
        outs = {}
        for name, shape, strides, padding in [("conv_same_s1", (3, 3, 3, 4), (1, 1, 1, 1), "SAME"),
                                              ("conv_valid_s2", (5, 3, 3, 2), (1, 2, 2, 1), "VALID"),
                                              ("conv_same_s2", (2, 4, 3, 5), (1, 2, 3, 1), "SAME")]:
            w = rng.randn(*shape)
            fx.value(name + "_w", w)
            outs[name] = (tf.nn.conv2d(xv, tf.constant(w), strides, padding), w)
        for name, op, ksize, strides, padding in [("max_valid", tf.nn.max_pool2d, 2, 2, "VALID"),
                                                  ("max_same", tf.nn.max_pool2d, 3, 2, "SAME"),
                                                  ("avg_same", tf.nn.avg_pool2d, 3, 2, "SAME"),
                                                  ("avg_valid", tf.nn.avg_pool2d, 2, 1, "VALID")]:
            outs[name] = (op(xv, ksize, strides, padding), None)
        names = sorted(outs)
        seeds = {n: rng.randn(*outs[n][0].shape.as_list()) for n in names}
        fetch = []
        for n in names:
            y = outs[n][0]
            loss = tf.reduce_sum(y * tf.constant(seeds[n]))
            grads = tf.gradients(loss, [xv])
            fetch += [y, grads[0]]
        with tf1.Session(graph=g) as sess:
            values = sess.run(fetch)
    for i, n in enumerate(names):
        fx.value(n + "_seed", seeds[n])
        fx.value(n + "_y", values[2 * i])
        fx.value(n + "_dx", values[2 * i + 1])
    fx.close()


def conv_explicit():
    """Conv2D with padding EXPLICIT (tf.nn.conv2d's list-of-pairs padding), and the same
    convolution as tf.pad + VALID conv2d, as the CS231n ConvNet writes it; values and tf.gradients
    for x and the filter, float32 so the library kernels run."""
    rng = np.random.RandomState(11)
    x = rng.randn(2, 9, 8, 5).astype(np.float32)
    w = rng.randn(3, 4, 5, 6).astype(np.float32)
    pads = [[0, 0], [2, 1], [0, 3], [0, 0]]
    fx = Fixture("conv_explicit")

    def build():
        xp = tf1.placeholder(tf.float32, [None, 9, 8, 5], name="x")
        wc = tf.constant(w, name="w")
        for name, strides in [("s1", [1, 1, 1, 1]), ("s2", [1, 2, 1, 1])]:
            explicit = tf.nn.conv2d(xp, wc, strides, pads, name="explicit_" + name)
            padded = tf.nn.conv2d(tf.pad(xp, pads), wc, strides, "VALID", name="padded_" + name)
            for y in [explicit, padded]:
                seed = tf.constant(rng.randn(*[2] + y.shape.as_list()[1:]).astype(np.float32))
                dx, dw = tf.gradients(tf.reduce_sum(y * seed), [xp, wc])
                tf.identity(dx, name=y.op.name + "_dx")
                tf.identity(dw, name=y.op.name + "_dw")

    fetches = [(f"{kind}_{s}{suffix}:0", 2e-4) for kind in ["explicit", "padded"] for s in ["s1", "s2"]
               for suffix in ["", "_dx", "_dw"]]
    g = tf.Graph()
    with g.as_default():
        build()
        with tf1.Session(graph=g) as sess:
            values = sess.run(fetches=[f for f, _ in fetches], feed_dict={"x:0": x})
    fx.graph(g.as_graph_def(), check_ops=False)
    fx.feed("x:0", x)
    for (name, tol), v in zip(fetches, values):
        fx.fetch(name, v, tol)
    fx.close()


def checkpoint():
    """A V2 checkpoint written by tf.compat.v1.train.Saver, for Kiln's reader."""
    fx = Fixture("checkpoint")
    g = tf.Graph()
    with g.as_default():
        W = tf1.Variable(np.arange(12, dtype=np.float32).reshape(3, 4) / 10, name="W")
        b = tf1.Variable(np.array([1.5, -2.5], np.float64), name="dense/bias")
        step = tf1.Variable(np.int64(42), name="global_step")
        saver = tf1.train.Saver([W, b, step])
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            saver.save(sess, os.path.join(fx.dir, "model.ckpt"), write_meta_graph=False)
    os.remove(os.path.join(fx.dir, "checkpoint"))  # holds an absolute path; the bundle is the fixture
    fx.value("W", np.arange(12, dtype=np.float32).reshape(3, 4) / 10)
    fx.value("bias", np.array([1.5, -2.5], np.float64))
    fx.close()


if __name__ == "__main__":
    only = sys.argv[1:]
    for make in [softmax_frozen, softmax_frozen_biasadd, mlp_frozen, ops_mix, softmax_grad, softmax_train_step,
                 mlp_bn_train_step, random_ops, conv_pool, conv_explicit, checkpoint]:
        if only and make.__name__ not in only:
            continue
        make()
        print("wrote", make.__name__, file=sys.stderr)
