// Helpers for op tests: building tensors, running one fetch, comparing with hand-computed values,
// and checking symbolic gradients against central differences.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "graph/builder/kiln.h"
#include "runtime/session.h"

namespace kiln::testing {

// A test with its own graph as the default graph (as `with tf.Graph().as_default():`).
class GraphTest : public ::testing::Test {
 protected:
  Graph g;
  DefaultGraphGuard guard{g};
};

// A tensor of `dtype` holding `values` (converted), shape `dims`.
Tensor Values(const std::vector<double>& values, const std::vector<int64_t>& dims, DataType dtype = DT_FLOAT);
// The tensor's elements as doubles.
std::vector<double> ToDoubles(const Tensor& t);

// Deterministic test inputs. Ramp: scale * ((7 i mod 11) - 5), small integers of both signs (exact
// in any float type). Wavy: shift + sin(0.7 i + phase) + 0.01 (i mod 5), irregular values of both
// signs around `shift`, so that a ReLU after them keeps some and zeroes some.
Tensor Ramp(const std::vector<int64_t>& dims, double scale, DataType dtype = DT_FLOAT);
Tensor Wavy(const std::vector<int64_t>& dims, double phase, double shift = 0, DataType dtype = DT_FLOAT);

// Runs `fetch` in a fresh Session on its graph; fails the test on error.
Tensor Eval(const Output& fetch, const FeedDict& feeds = {});

// Shape and every element within `tol` (NaN equals NaN, inf equals inf of the same sign).
void ExpectValues(const Tensor& t, const std::vector<int64_t>& dims, const std::vector<double>& expected,
                  double tol = 1e-6);

// The largest difference between the symbolic and the central-difference Jacobians of y with
// respect to xs, relative to max(1, |numeric|) (gradient_checker.h's ComputeGradientError). xs
// must be DT_DOUBLE placeholders in y's graph; `x_values` feeds them.
double MaxGradientError(const Output& y, const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                        const FeedDict& other_feeds = {});

// Tolerance for MaxGradientError in double precision with h = 1e-6.
inline constexpr double kGradTolerance = 1e-6;

}  // namespace kiln::testing
