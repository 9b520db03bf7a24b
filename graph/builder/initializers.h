// Variable initializers as TF1 has them (tf.zeros_initializer, tf.glorot_uniform_initializer,
// tf.variance_scaling_initializer, ...): each makes the initial-value tensor for a shape.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graph/builder/context.h"

namespace kiln {

using Initializer = std::function<Output(const std::vector<int64_t>& shape, DataType dtype)>;

Initializer zeros_initializer();
Initializer ones_initializer();
Initializer constant_initializer(double value);
Initializer random_normal_initializer(double mean = 0.0, double stddev = 1.0, std::optional<int64_t> seed = std::nullopt);
Initializer random_uniform_initializer(double minval = 0.0, double maxval = 1.0, std::optional<int64_t> seed = std::nullopt);
Initializer truncated_normal_initializer(double mean = 0.0, double stddev = 1.0, std::optional<int64_t> seed = std::nullopt);
// tf.variance_scaling_initializer(scale, mode, distribution): values with variance scale / n,
// n = fan_in, fan_out or their mean ("fan_in", "fan_out", "fan_avg"); distribution
// "truncated_normal" (or TF1's "normal"), "untruncated_normal" or "uniform". Fans follow TF: for
// a kernel [..., in, out] the receptive field (product of the leading dims) multiplies both.
Initializer variance_scaling_initializer(double scale = 1.0, const std::string& mode = "fan_in",
                                         const std::string& distribution = "truncated_normal",
                                         std::optional<int64_t> seed = std::nullopt);
// Glorot & Bengio (2010): variance_scaling(1, fan_avg, uniform / truncated normal).
Initializer glorot_uniform_initializer(std::optional<int64_t> seed = std::nullopt);
Initializer glorot_normal_initializer(std::optional<int64_t> seed = std::nullopt);
// He et al. (2015): variance_scaling(2, fan_in, ...).
Initializer he_normal(std::optional<int64_t> seed = std::nullopt);
Initializer he_uniform(std::optional<int64_t> seed = std::nullopt);

// (fan_in, fan_out) of a weight shape, as TF's _compute_fans.
std::pair<double, double> ComputeFans(const std::vector<int64_t>& shape);

}  // namespace kiln
