#include "tests/testing/op_testing.h"

#include <cmath>

#include "passes/gradients.h"
#include "tests/testing/gradient_checker.h"

namespace kiln::testing {

Tensor Values(const std::vector<double>& values, const std::vector<int64_t>& dims, DataType dtype) {
  Tensor t(dtype, dims);
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.num_elements()) << "test bug: values do not fill the shape";
  for (int64_t i = 0; i < t.num_elements() && i < static_cast<int64_t>(values.size()); ++i) {
    switch (dtype) {
      case DT_FLOAT: t.data<float>()[i] = static_cast<float>(values[i]); break;
      case DT_DOUBLE: t.data<double>()[i] = values[i]; break;
      case DT_INT32: t.data<int32_t>()[i] = static_cast<int32_t>(values[i]); break;
      case DT_INT64: t.data<int64_t>()[i] = static_cast<int64_t>(values[i]); break;
      case DT_UINT8: t.data<uint8_t>()[i] = static_cast<uint8_t>(values[i]); break;
      case DT_BOOL: t.data<bool>()[i] = values[i] != 0; break;
      default: ADD_FAILURE() << "unsupported dtype";
    }
  }
  return t;
}

Tensor Ramp(const std::vector<int64_t>& dims, double scale, DataType dtype) {
  std::vector<double> v(Shape(dims).num_elements());
  for (size_t i = 0; i < v.size(); ++i) v[i] = scale * (static_cast<double>((i * 7) % 11) - 5.0);
  return Values(v, dims, dtype);
}

Tensor Wavy(const std::vector<int64_t>& dims, double phase, double shift, DataType dtype) {
  std::vector<double> v(Shape(dims).num_elements());
  for (size_t i = 0; i < v.size(); ++i) v[i] = shift + std::sin(0.7 * static_cast<double>(i) + phase) + 0.01 * (i % 5);
  return Values(v, dims, dtype);
}

std::vector<double> ToDoubles(const Tensor& t) {
  std::vector<double> v(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    switch (t.dtype()) {
      case DT_FLOAT: v[i] = t.data<float>()[i]; break;
      case DT_DOUBLE: v[i] = t.data<double>()[i]; break;
      case DT_INT32: v[i] = t.data<int32_t>()[i]; break;
      case DT_INT64: v[i] = static_cast<double>(t.data<int64_t>()[i]); break;
      case DT_UINT8: v[i] = t.data<uint8_t>()[i]; break;
      case DT_BOOL: v[i] = t.data<bool>()[i]; break;
      default: ADD_FAILURE() << "unsupported dtype";
    }
  }
  return v;
}

Tensor Eval(const Output& fetch, const FeedDict& feeds) {
  EXPECT_TRUE(fetch) << "null fetch; build error: " << get_default_graph().build_status().ToString();
  if (!fetch) return Tensor();
  EXPECT_TRUE(fetch.graph()->build_status().ok()) << fetch.graph()->build_status().ToString();
  Session sess(*fetch.graph());
  StatusOr<Tensor> r = sess.run(fetch, feeds);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Tensor();
}

void ExpectValues(const Tensor& t, const std::vector<int64_t>& dims, const std::vector<double>& expected, double tol) {
  ASSERT_TRUE(t.valid());
  EXPECT_EQ(t.dims(), dims);
  std::vector<double> got = ToDoubles(t);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i;
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(got[i], expected[i]) << "element " << i;
    } else {
      EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
    }
  }
}

double MaxGradientError(const Output& y, const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                        const FeedDict& other_feeds) {
  // One mechanism: the full-Jacobian checker of gradient_checker.h.
  GradientCheckOptions options;
  options.other_feeds = other_feeds;
  StatusOr<double> error = ComputeGradientError(xs, x_values, y, options);
  EXPECT_TRUE(error.ok()) << error.status().ToString();
  return error.ok() ? *error : INFINITY;
}

}  // namespace kiln::testing
