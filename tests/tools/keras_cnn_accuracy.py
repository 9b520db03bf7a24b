#!/usr/bin/env python3
"""The oracle for the cnn seed's accuracy: seed 000's own Keras model (CustomizedCNN: Keras defaults,
Glorot-uniform kernels, zero biases, no activations, dropout .2/.3 in call) compiled with
optimizer='adam' and trained as the seed does (batch 32, 10 epochs, the test set as validation data),
on Fashion-MNIST from Debian's dataset-fashion-mnist scaled to [0, 1] as Kiln and the PyTorch peer
feed it. Prints `keras_cnn test_acc=X train_s=Y`.

Run it with TensorFlow from a venv outside the repo (see tests/data/tf/README.md):
    /work/venv-tf/bin/python tests/tools/keras_cnn_accuracy.py [SEED]
2026-11-23, TF 2.21.0, seed 1, 2 threads: test_acc=0.8744 (Kiln `kiln train cnn`: 0.8793).
"""
import gzip, struct, sys, time, numpy as np, tensorflow as tf
D = "/usr/share/datasets/fashion-mnist/"
def idx(p):
    b = gzip.open(D + p).read(); magic, n = struct.unpack(">II", b[:8])
    if magic == 2051:
        r, c = struct.unpack(">II", b[8:16]); return np.frombuffer(b, np.uint8, offset=16).reshape(n, r, c)
    return np.frombuffer(b, np.uint8, offset=8)
xtr = idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255; ytr = idx("train-labels-idx1-ubyte.gz").astype(np.int64)
xte = idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255; yte = idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
tf.random.set_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
class CustomizedCNN(tf.keras.models.Model):
    def __init__(self):
        super().__init__()
        self.layer1 = tf.keras.layers.Conv2D(kernel_size=(3, 3), filters=32)
        self.layer2 = tf.keras.layers.MaxPool2D(pool_size=(2, 2))
        self.layer3 = tf.keras.layers.Conv2D(kernel_size=(3, 3), filters=64)
        self.layer4 = tf.keras.layers.Flatten()
        self.layer5 = tf.keras.layers.Dense(units=128)
        self.layer6 = tf.keras.layers.Dense(units=10)
        self.d1 = tf.keras.layers.Dropout(rate=.2); self.d2 = tf.keras.layers.Dropout(rate=.3)
    def call(self, inputs, training=None):
        x = tf.expand_dims(inputs, -1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        if training: x = self.d1(x, training=True)
        x = self.layer5(x)
        if training: x = self.d2(x, training=True)
        return self.layer6(x)
m = CustomizedCNN()
m.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=['accuracy'])
t = time.time()
m.fit(xtr, ytr, batch_size=32, epochs=10, validation_data=(xte, yte), verbose=2)
print("keras_cnn test_acc=%.4f train_s=%.1f" % (m.evaluate(xte, yte, verbose=0)[1], time.time() - t))
