// tf.layers-style helpers. Keyword arguments become designated initializers:
//
//   auto h = tf::layers::dense(x, 256, {.use_bias = false});          // tf.layers.dense(x, 256, use_bias=False)
//   auto logits = tf::layers::dense(h, 10, {.activation = tf::nn::relu});
#pragma once

#include <string>

#include "graph/builder/initializers.h"
#include "graph/ops/state_ops.h"

namespace kiln::layers {

// An activation function: tf::nn::relu, tf::nn::sigmoid, ... (their name parameter is unused).
using Activation = Output (*)(const Output&, const std::string&);
// A kernel regularizer: returns the penalty for a weight tensor (added to REGULARIZATION_LOSSES).
using Regularizer = std::function<Output(const Output&)>;

struct DenseOptions {
  Activation activation = nullptr;
  bool use_bias = true;
  Initializer kernel_initializer;  // default: Glorot uniform, as tf.layers.dense
  Initializer bias_initializer;    // default: zeros
  Regularizer kernel_regularizer;
  bool trainable = true;
  std::string name;  // default "dense", made unique ("dense_1", ...)
};

// tf.layers.dense: outputs = activation(inputs @ kernel + bias) with variables "<name>/kernel"
// [in, units] and "<name>/bias" [units]. inputs must have a known last dimension.
Output dense(const Output& inputs, int64_t units, const DenseOptions& options = {});

// tf.layers.flatten: [batch, ...] -> [batch, product of the rest].
Output flatten(const Output& inputs, const std::string& name = "");

// tf.contrib.layers.l2_regularizer(scale): scale * l2_loss(w).
Regularizer l2_regularizer(double scale);

}  // namespace kiln::layers
