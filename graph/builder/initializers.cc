#include "graph/builder/initializers.h"

#include <cmath>

#include "graph/ops/array_ops.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/math_ops.h"
#include "graph/ops/random_ops.h"

namespace kiln {

std::pair<double, double> ComputeFans(const std::vector<int64_t>& shape) {
  if (shape.empty()) return {1, 1};
  if (shape.size() == 1) return {static_cast<double>(shape[0]), static_cast<double>(shape[0])};
  double receptive = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
  return {shape[shape.size() - 2] * receptive, shape[shape.size() - 1] * receptive};
}

Initializer zeros_initializer() {
  return [](const std::vector<int64_t>& shape, DataType dtype) { return zeros(shape, dtype); };
}
Initializer ones_initializer() {
  return [](const std::vector<int64_t>& shape, DataType dtype) { return ones(shape, dtype); };
}
Initializer constant_initializer(double value) {
  return [value](const std::vector<int64_t>& shape, DataType dtype) {
    return fill(constant(IntsToTensor(shape)), constant(value, dtype));
  };
}
Initializer random_normal_initializer(double mean, double stddev, std::optional<int64_t> seed) {
  return [=](const std::vector<int64_t>& shape, DataType dtype) { return random_normal(shape, mean, stddev, dtype, seed); };
}
Initializer random_uniform_initializer(double minval, double maxval, std::optional<int64_t> seed) {
  return [=](const std::vector<int64_t>& shape, DataType dtype) { return random_uniform(shape, minval, maxval, dtype, seed); };
}
Initializer truncated_normal_initializer(double mean, double stddev, std::optional<int64_t> seed) {
  return [=](const std::vector<int64_t>& shape, DataType dtype) { return truncated_normal(shape, mean, stddev, dtype, seed); };
}

Initializer variance_scaling_initializer(double scale, const std::string& mode, const std::string& distribution,
                                         std::optional<int64_t> seed) {
  return [=](const std::vector<int64_t>& shape, DataType dtype) -> Output {
    auto [fan_in, fan_out] = ComputeFans(shape);
    double n = mode == "fan_in" ? fan_in : mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2;
    if (mode != "fan_in" && mode != "fan_out" && mode != "fan_avg") {
      return BuildError(nullptr, InvalidArgument("variance_scaling_initializer: mode must be fan_in, fan_out or fan_avg, got '" + mode + "'"));
    }
    double variance = scale / std::max(1.0, n);
    if (distribution == "uniform") {
      double limit = std::sqrt(3.0 * variance);
      return random_uniform(shape, -limit, limit, dtype, seed);
    }
    if (distribution == "untruncated_normal") return random_normal(shape, 0.0, std::sqrt(variance), dtype, seed);
    if (distribution == "truncated_normal" || distribution == "normal") {
      // Divided by the stddev of a unit normal truncated to [-2, 2], so the result has `variance`.
      return truncated_normal(shape, 0.0, std::sqrt(variance) / 0.87962566103423978, dtype, seed);
    }
    return BuildError(nullptr, InvalidArgument("variance_scaling_initializer: unknown distribution '" + distribution + "'"));
  };
}

Initializer glorot_uniform_initializer(std::optional<int64_t> seed) {
  return variance_scaling_initializer(1.0, "fan_avg", "uniform", seed);
}
Initializer glorot_normal_initializer(std::optional<int64_t> seed) {
  return variance_scaling_initializer(1.0, "fan_avg", "truncated_normal", seed);
}
Initializer he_normal(std::optional<int64_t> seed) { return variance_scaling_initializer(2.0, "fan_in", "truncated_normal", seed); }
Initializer he_uniform(std::optional<int64_t> seed) { return variance_scaling_initializer(2.0, "fan_in", "uniform", seed); }

}  // namespace kiln
