#!/usr/bin/env python3
"""Runs a seed program in real TensorFlow (tf.compat.v1 graph mode) on Kiln's default data, as the
oracle for what the seed's own code reaches with the seed's settings. Not part of the test suite.

Usage: /work/venv-tf/bin/python tests/tools/tf_seed_accuracy.py mlp|mlp_bn|conv_bn|cnn_tutorial [seed ...]
Data: Debian's Fashion-MNIST IDX files; validation = the first 5000 training images, as TF's input_data.
TensorFlow 2.16+ needs `pip install tf_keras` beside tensorflow-cpu: tf.compat.v1.layers lives in the
legacy Keras, which this script selects (TF_USE_LEGACY_KERAS) before importing TensorFlow.
"""
import gzip, os, struct, sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()
D = os.environ.get("KILN_DATA", "/usr/share/datasets/fashion-mnist/")


def idx(name):
    b = gzip.open(os.path.join(D, name)).read()
    magic, n = struct.unpack(">II", b[:8])
    if magic == 2051:
        r, c = struct.unpack(">II", b[8:16])
        return np.frombuffer(b, np.uint8, offset=16).reshape(n, r, c, 1).astype(np.float32) / 255
    return np.frombuffer(b, np.uint8, offset=8).astype(np.int64)


def one_hot(y):
    return np.eye(10, dtype=np.float32)[y]


def seed002(batch_norm, conv, seed):
    tf1.reset_default_graph()
    tf1.set_random_seed(seed)
    xtr, ytr = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
    xte, yte = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")
    xva, yva, xtr, ytr = xtr[:5000], ytr[:5000], xtr[5000:], ytr[5000:]

    def fully_connected(prev_layer, num_units, is_training):
        layer = tf1.layers.dense(prev_layer, num_units, use_bias=False, activation=None)
        if batch_norm:
            layer = tf1.layers.batch_normalization(layer, training=is_training)
        return tf.nn.relu(layer)

    def conv_layer(prev_layer, layer_depth, is_training):
        strides = 2 if layer_depth % 3 == 0 else 1
        layer = tf1.layers.conv2d(prev_layer, layer_depth * 4, 3, strides, 'same', use_bias=False, activation=None)
        if batch_norm:
            layer = tf1.layers.batch_normalization(layer, training=is_training)
        return tf.nn.relu(layer)

    inputs = tf1.placeholder(tf.float32, [None, 28, 28, 1])
    labels = tf1.placeholder(tf.float32, [None, 10])
    is_training = tf1.placeholder(tf.bool)
    layer = inputs
    if conv:
        for i in range(1, 6):
            layer = conv_layer(layer, i, is_training)
        s = layer.get_shape().as_list()
        layer = tf.reshape(layer, [-1, s[1] * s[2] * s[3]])
        layer = fully_connected(layer, 100, is_training)
    else:
        layer = tf.reshape(layer, [-1, 784])
        for i in range(1, 6):
            layer = fully_connected(layer, 2 ** (9 - i), is_training)
    logits = tf1.layers.dense(layer, 10)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(logits=logits, labels=labels))
    with tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
        train = tf1.train.AdamOptimizer(0.002).minimize(loss)
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1)), tf.float32))
    rng = np.random.RandomState(seed)
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        perm, pos = rng.permutation(len(xtr)), 0
        for step in range(3000):
            if pos + 128 > len(xtr):
                perm, pos = rng.permutation(len(xtr)), 0
            b = perm[pos:pos + 128]
            pos += 128
            sess.run(train, {inputs: xtr[b], labels: one_hot(ytr[b]), is_training: True})
        test = np.mean([sess.run(acc, {inputs: xte[i:i + 1000], labels: one_hot(yte[i:i + 1000]), is_training: False})
                        for i in range(0, 10000, 1000)])
    return test


def cnn_tutorial(seed):
    """tensorflow/models image/mnist/convolutional.py (seed 004's base), as written there: inputs in
    [-0.5, 0.5], the first 5000 training images held out, batches taken in order (no shuffling), the
    tutorial's SEED (66478, offset by seed - 1 as `kiln train cnn_tutorial --seed` does)."""
    tf1.reset_default_graph()
    SEED = 66478 + seed - 1
    tf1.set_random_seed(seed)
    xtr, ytr = idx("train-images-idx3-ubyte.gz") - 0.5, idx("train-labels-idx1-ubyte.gz")
    xte, yte = idx("t10k-images-idx3-ubyte.gz") - 0.5, idx("t10k-labels-idx1-ubyte.gz")
    xtr, ytr = xtr[5000:], ytr[5000:]
    train_size, batch_size, epochs = len(xtr), 64, 10
    data = tf1.placeholder(tf.float32, [batch_size, 28, 28, 1])
    labels = tf1.placeholder(tf.int64, [batch_size])
    eval_data = tf1.placeholder(tf.float32, [1000, 28, 28, 1])
    conv1_w = tf.Variable(tf1.truncated_normal([5, 5, 1, 32], stddev=0.1, seed=SEED))
    conv1_b = tf.Variable(tf.zeros([32]))
    conv2_w = tf.Variable(tf1.truncated_normal([5, 5, 32, 64], stddev=0.1, seed=SEED))
    conv2_b = tf.Variable(tf.constant(0.1, shape=[64]))
    fc1_w = tf.Variable(tf1.truncated_normal([7 * 7 * 64, 512], stddev=0.1, seed=SEED))
    fc1_b = tf.Variable(tf.constant(0.1, shape=[512]))
    fc2_w = tf.Variable(tf1.truncated_normal([512, 10], stddev=0.1, seed=SEED))
    fc2_b = tf.Variable(tf.constant(0.1, shape=[10]))

    def model(x, train=False):
        conv = tf.nn.conv2d(x, conv1_w, strides=[1, 1, 1, 1], padding='SAME')
        pool = tf.nn.max_pool(tf.nn.relu(tf.nn.bias_add(conv, conv1_b)), [1, 2, 2, 1], [1, 2, 2, 1], 'SAME')
        conv = tf.nn.conv2d(pool, conv2_w, strides=[1, 1, 1, 1], padding='SAME')
        pool = tf.nn.max_pool(tf.nn.relu(tf.nn.bias_add(conv, conv2_b)), [1, 2, 2, 1], [1, 2, 2, 1], 'SAME')
        hidden = tf.nn.relu(tf.matmul(tf.reshape(pool, [pool.shape[0], -1]), fc1_w) + fc1_b)
        if train:
            hidden = tf1.nn.dropout(hidden, 0.5, seed=SEED)
        return tf.matmul(hidden, fc2_w) + fc2_b

    logits = model(data, True)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    loss += 5e-4 * (tf.nn.l2_loss(fc1_w) + tf.nn.l2_loss(fc1_b) + tf.nn.l2_loss(fc2_w) + tf.nn.l2_loss(fc2_b))
    batch = tf.Variable(0)
    lr = tf1.train.exponential_decay(0.01, batch * batch_size, train_size, 0.95, staircase=True)
    train = tf1.train.MomentumOptimizer(lr, 0.9).minimize(loss, global_step=batch)
    eval_pred = tf.argmax(model(eval_data), 1)
    config = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    with tf1.Session(config=config) as sess:
        sess.run(tf1.global_variables_initializer())
        for step in range(epochs * train_size // batch_size):
            offset = (step * batch_size) % (train_size - batch_size)
            sess.run(train, {data: xtr[offset:offset + batch_size], labels: ytr[offset:offset + batch_size]})
        pred = np.concatenate([sess.run(eval_pred, {eval_data: xte[i:i + 1000]}) for i in range(0, 10000, 1000)])
    return float(np.mean(pred == yte))


MODELS = {"mlp": (False, False), "mlp_bn": (True, False), "conv_bn": (True, True)}
name = sys.argv[1]
for s in [int(a) for a in sys.argv[2:]] or [1]:
    acc = cnn_tutorial(s) if name == "cnn_tutorial" else seed002(*MODELS[name], s)
    print(f"{name} seed={s} tf_test_acc={acc:.4f}", flush=True)
