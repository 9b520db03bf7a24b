// Checks symbolic gradients (passes/gradients) against central differences, as TF's
// gradient_checker does: both full Jacobians of y with respect to each x are computed and compared
// entry by entry.
//
//   auto x = placeholder(float64, {2, 3}, "x");
//   EXPECT_TRUE(GradientMatches({x}, {x_value}, nn::softmax(x)));
//
// Why full Jacobians rather than the gradient of sum(y * w) for a random w: one projection costs
// fewer runs, but when it disagrees it cannot say where; the Jacobian names the x, its element
// and the y element that are wrong, and every entry is checked on its own instead of through a
// random linear combination. The symbolic Jacobian is built once, with grad_ys fed through a
// placeholder (so it also exercises Gradients' grad_ys path), and then run once per element of y
// with a one-hot grad_ys; test tensors are small, so the extra runs cost milliseconds.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/builder/kiln.h"
#include "runtime/session.h"

namespace kiln::testing {

struct GradientCheckOptions {
  // Central-difference step. 1e-6 balances truncation (O(h^2)) against rounding (O(eps / h))
  // in double precision.
  double delta = 1e-6;
  // Feeds for other placeholders y needs (labels, ...), held fixed.
  FeedDict other_feeds;
};

// d y / d x for one x, both ways. Row-major [x_size, y_size], as TF lays it out:
// entry (i, j) = d y[j] / d x[i].
struct Jacobians {
  int64_t x_size = 0;
  int64_t y_size = 0;
  std::vector<double> symbolic;
  std::vector<double> numeric;
};

// Where the symbolic and numeric Jacobians disagree most.
struct GradientError {
  // max over entries of |symbolic - numeric| / max(1, |numeric|).
  double max_error = 0;
  int x_index = -1;          // which x
  int64_t x_element = -1;    // flat element of that x
  int64_t y_element = -1;    // flat element of y
  double symbolic = 0;
  double numeric = 0;
  std::string ToString() const;
};

// Both Jacobians of `y` for each of `xs`, at `x_values`. Each x must be a DT_DOUBLE tensor (a
// placeholder, or any tensor Session can feed) and y a DT_DOUBLE tensor; shapes may be partial
// (the fed values fix them). A null symbolic gradient (y does not reach x through differentiable
// ops) counts as zeros. Errors: gradient construction fails, a run fails, or a gradient's shape
// differs from its x's fed shape.
StatusOr<std::vector<Jacobians>> ComputeJacobians(const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                                                  const Output& y, const GradientCheckOptions& options = {});

// The worst disagreement over all Jacobians.
GradientError MaxJacobianError(const std::vector<Jacobians>& jacobians);

// ComputeJacobians, then the worst relative error (TF's compute_gradient_error).
StatusOr<double> ComputeGradientError(const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                                      const Output& y, const GradientCheckOptions& options = {});

// For gtest: EXPECT_TRUE(GradientMatches(...)); on failure says which entry is off and by how much.
inline constexpr double kGradientTolerance = 1e-6;
::testing::AssertionResult GradientMatches(const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                                           const Output& y, const GradientCheckOptions& options = {},
                                           double tolerance = kGradientTolerance);

}  // namespace kiln::testing
