// Builder API for neural-network ops (tf.nn.*).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "graph/builder/context.h"

namespace kiln {
namespace nn {

Output softmax(const Output& logits, const std::string& name = "");
Output log_softmax(const Output& logits, const std::string& name = "");
Output relu(const Output& features, const std::string& name = "");
Output relu6(const Output& features, const std::string& name = "");
Output leaky_relu(const Output& features, double alpha = 0.2, const std::string& name = "");
Output elu(const Output& features, const std::string& name = "");
Output sigmoid(const Output& x, const std::string& name = "");
Output tanh(const Output& x, const std::string& name = "");
// tf.nn.sigmoid_cross_entropy_with_logits(labels=, logits=), elementwise, in TF's stable form
// max(x, 0) - x * z + log(1 + exp(-|x|)).
Output sigmoid_cross_entropy_with_logits(const Output& labels, const Output& logits, const std::string& name = "");
// tf.nn.sparse_softmax_cross_entropy_with_logits(labels=, logits=): integer class labels [batch].
Output sparse_softmax_cross_entropy_with_logits(const Output& labels, const Output& logits, const std::string& name = "");
// tf.nn.l2_loss: sum(t^2) / 2.
Output l2_loss(const Output& t, const std::string& name = "");
// tf.nn.conv2d(input NHWC, filter HWIO, strides [1, sh, sw, 1], "SAME" | "VALID").
Output conv2d(const Output& input, const Output& filter, const std::vector<int64_t>& strides, const std::string& padding,
              const std::string& name = "");
// tf.nn.conv2d with explicit padding, padding=[[0, 0], [top, bottom], [left, right], [0, 0]]: a
// Conv2D with padding "EXPLICIT" and those 8 numbers as explicit_paddings.
Output conv2d(const Output& input, const Output& filter, const std::vector<int64_t>& strides,
              const std::vector<std::vector<int64_t>>& padding, const std::string& name = "");
// tf.nn.max_pool / avg_pool with ksize and strides [1, h, w, 1].
Output max_pool(const Output& value, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                const std::string& padding, const std::string& name = "");
Output avg_pool(const Output& value, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                const std::string& padding, const std::string& name = "");
Output bias_add(const Output& value, const Output& bias, const std::string& name = "");
// tf.nn.softmax_cross_entropy_with_logits(labels=, logits=): per-example loss over the last axis.
// Gradients flow into logits only (labels are treated as constants, as in the original TF1 op).
Output softmax_cross_entropy_with_logits(const Output& labels, const Output& logits, const std::string& name = "");
// The _v2 variant also differentiates the labels.
Output softmax_cross_entropy_with_logits_v2(const Output& labels, const Output& logits, const std::string& name = "");

// tf.nn.fused_batch_norm (FusedBatchNormV3, NHWC): (y, batch_mean, batch_variance). In training
// mode mean and variance are unused and batch_variance is the unbiased batch variance.
std::array<Output, 3> fused_batch_norm(const Output& x, const Output& scale, const Output& offset, const Output& mean,
                                       const Output& variance, double epsilon = 0.001, bool is_training = true,
                                       const std::string& name = "");
// tf.nn.moments(x, axes): (mean, biased variance) over `axes`, as TF builds them (the variance
// reads a stop_gradient of the mean).
std::array<Output, 2> moments(const Output& x, const std::vector<int64_t>& axes, bool keep_dims = false,
                              const std::string& name = "moments");
// tf.nn.batch_normalization: x * inv + (offset - mean * inv), inv = rsqrt(variance + eps) * scale.
// scale and offset may be null Outputs (absent).
Output batch_normalization(const Output& x, const Output& mean, const Output& variance, const Output& offset,
                           const Output& scale, double variance_epsilon, const std::string& name = "batchnorm");
// tf.nn.dropout(x, rate=rate): keeps each element with probability 1 - rate and scales it by
// 1 / (1 - rate) (inverted dropout); seeded like every random op.
Output dropout(const Output& x, double rate, std::optional<int64_t> seed = std::nullopt, const std::string& name = "dropout");

}  // namespace nn
}  // namespace kiln
