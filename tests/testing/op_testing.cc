#include "tests/testing/op_testing.h"

#include <cmath>
#include <random>

#include "passes/gradients.h"

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
  Graph& g = *y.graph();
  auto guard = as_default(g);
  EXPECT_TRUE(y.shape().IsFullyDefined()) << "y needs a fully known shape, got " << y.shape().ToString();
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  Tensor w(y.dtype(), y.shape().dims());
  for (int64_t i = 0; i < w.num_elements(); ++i) w.data<double>()[i] = dist(rng);
  Output loss = reduce_sum(y * constant(w));
  StatusOr<std::vector<Output>> grads = Gradients({loss}, xs);
  EXPECT_TRUE(grads.ok()) << grads.status().ToString();
  if (!grads.ok()) return INFINITY;
  Session sess(g);
  FeedDict feeds = other_feeds;
  for (size_t i = 0; i < xs.size(); ++i) feeds.emplace_back(xs[i], x_values[i].Clone());
  std::vector<Fetch> fetches;
  for (const Output& d : *grads) {
    EXPECT_TRUE(d) << "no gradient reached an x";
    if (!d) return INFINITY;
    fetches.push_back(d);
  }
  StatusOr<std::vector<Tensor>> symbolic = sess.run(fetches, feeds);
  EXPECT_TRUE(symbolic.ok()) << symbolic.status().ToString();
  if (!symbolic.ok()) return INFINITY;
  auto loss_at = [&]() {
    StatusOr<Tensor> l = sess.run(loss, feeds);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? l->scalar<double>() : NAN;
  };
  const double h = 1e-6;
  double worst = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    Tensor& x = feeds[other_feeds.size() + k].second;
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      double saved = x.data<double>()[i];
      x.data<double>()[i] = saved + h;
      double up = loss_at();
      x.data<double>()[i] = saved - h;
      double down = loss_at();
      x.data<double>()[i] = saved;
      double numeric = (up - down) / (2 * h);
      double analytic = (*symbolic)[k].data<double>()[i];
      worst = std::max(worst, std::abs(analytic - numeric) / std::max(1.0, std::abs(numeric)));
    }
  }
  return worst;
}

}  // namespace kiln::testing
