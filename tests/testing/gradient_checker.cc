#include "tests/testing/gradient_checker.h"

#include <cmath>
#include <sstream>

#include "passes/gradients.h"

namespace kiln::testing {
namespace {

Status CheckArguments(const std::vector<Output>& xs, const std::vector<Tensor>& x_values, const Output& y) {
  if (!y) return InvalidArgument("gradient checker: y is null (an earlier build error?)");
  if (y.dtype() != DT_DOUBLE) {
    return InvalidArgument("gradient checker: y " + y.name() + " must be double, is " + DataTypeName(y.dtype()));
  }
  if (xs.size() != x_values.size()) {
    return InvalidArgument("gradient checker: " + std::to_string(xs.size()) + " xs but " +
                           std::to_string(x_values.size()) + " values");
  }
  for (size_t k = 0; k < xs.size(); ++k) {
    const Output& x = xs[k];
    if (!x) return InvalidArgument("gradient checker: x " + std::to_string(k) + " is null");
    if (x.graph() != y.graph()) return InvalidArgument("gradient checker: x " + x.name() + " is not in y's graph");
    if (x.dtype() != DT_DOUBLE || x_values[k].dtype() != DT_DOUBLE) {
      return InvalidArgument("gradient checker: x " + x.name() + " and its value must be double (central "
                             "differences need double precision); got " + DataTypeName(x.dtype()) + " fed with " +
                             DataTypeName(x_values[k].dtype()));
    }
  }
  return OkStatus();
}

std::vector<double> AsDoubles(const Tensor& t) {
  const double* p = t.data<double>();
  return std::vector<double>(p, p + t.num_elements());
}

}  // namespace

std::string GradientError::ToString() const {
  std::ostringstream s;
  s << "max relative error " << max_error;
  if (x_index >= 0) {
    s << " at d y[" << y_element << "] / d x" << x_index << "[" << x_element << "]: symbolic " << symbolic
      << ", numeric " << numeric;
  }
  return s.str();
}

StatusOr<std::vector<Jacobians>> ComputeJacobians(const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                                                  const Output& y, const GradientCheckOptions& options) {
  KILN_RETURN_IF_ERROR(CheckArguments(xs, x_values, y));
  Graph& g = *y.graph();
  auto guard = as_default(g);

  // Symbolic: d(sum(y * dy))/dx with dy fed one-hot, one run per element of y.
  Output dy = placeholder(DT_DOUBLE, y.shape(), "gradient_checker/dy");
  KILN_ASSIGN_OR_RETURN(std::vector<Output> grads, Gradients({y}, xs, {dy}));
  if (!g.build_status().ok()) return g.build_status().WithContext("building the gradient");

  FeedDict feeds = options.other_feeds;
  const size_t first_x_feed = feeds.size();
  for (size_t k = 0; k < xs.size(); ++k) feeds.emplace_back(xs[k], x_values[k].Clone());

  Session sess(g);
  StatusOr<Tensor> y_value = sess.run(y, feeds);
  if (!y_value.ok()) return y_value.status().WithContext("evaluating y");
  const int64_t y_size = y_value->num_elements();

  std::vector<Jacobians> result(xs.size());
  std::vector<Fetch> fetches;
  std::vector<size_t> fetched_x;  // the x of each fetch; xs with a null gradient keep zeros
  for (size_t k = 0; k < xs.size(); ++k) {
    result[k].x_size = x_values[k].num_elements();
    result[k].y_size = y_size;
    result[k].symbolic.assign(result[k].x_size * y_size, 0.0);
    result[k].numeric.assign(result[k].x_size * y_size, 0.0);
    if (grads[k]) {
      fetches.push_back(grads[k]);
      fetched_x.push_back(k);
    }
  }

  if (!fetches.empty()) {
    Tensor one_hot(DT_DOUBLE, y_value->dims());
    feeds.emplace_back(dy, one_hot);
    for (int64_t j = 0; j < y_size; ++j) {
      std::fill(one_hot.data<double>(), one_hot.data<double>() + y_size, 0.0);
      one_hot.data<double>()[j] = 1.0;
      StatusOr<std::vector<Tensor>> dx = sess.run(fetches, feeds);
      if (!dx.ok()) return dx.status().WithContext("evaluating the symbolic gradient");
      for (size_t f = 0; f < fetches.size(); ++f) {
        size_t k = fetched_x[f];
        const Tensor& d = (*dx)[f];
        if (d.dims() != x_values[k].dims()) {
          return InvalidArgument("the gradient for " + xs[k].name() + " has shape " + d.shape().ToString() +
                                 " but the x has shape " + x_values[k].shape().ToString());
        }
        if (d.dtype() != DT_DOUBLE) {
          return InvalidArgument("the gradient for " + xs[k].name() + " has dtype " + DataTypeName(d.dtype()));
        }
        for (int64_t i = 0; i < result[k].x_size; ++i) result[k].symbolic[i * y_size + j] = d.data<double>()[i];
      }
    }
    feeds.pop_back();
  }

  // Numeric: (y(x + h) - y(x - h)) / 2h, one column of y per perturbed element of x.
  const double h = options.delta;
  for (size_t k = 0; k < xs.size(); ++k) {
    double* x = feeds[first_x_feed + k].second.data<double>();
    for (int64_t i = 0; i < result[k].x_size; ++i) {
      const double saved = x[i];
      x[i] = saved + h;
      StatusOr<Tensor> up = sess.run(y, feeds);
      if (!up.ok()) return up.status().WithContext("evaluating y at x + h");
      std::vector<double> y_up = AsDoubles(*up);  // copy now: a fetched feed shares its buffer
      x[i] = saved - h;
      StatusOr<Tensor> down = sess.run(y, feeds);
      if (!down.ok()) return down.status().WithContext("evaluating y at x - h");
      x[i] = saved;
      for (int64_t j = 0; j < y_size; ++j) {
        result[k].numeric[i * y_size + j] = (y_up[j] - down->data<double>()[j]) / (2 * h);
      }
    }
  }
  return result;
}

GradientError MaxJacobianError(const std::vector<Jacobians>& jacobians) {
  GradientError worst;
  for (size_t k = 0; k < jacobians.size(); ++k) {
    const Jacobians& J = jacobians[k];
    for (int64_t i = 0; i < J.x_size; ++i) {
      for (int64_t j = 0; j < J.y_size; ++j) {
        double s = J.symbolic[i * J.y_size + j], n = J.numeric[i * J.y_size + j];
        double e = std::abs(s - n) / std::max(1.0, std::abs(n));
        if (std::isnan(e)) e = INFINITY;  // a NaN anywhere is a failure, never a silent pass
        if (worst.x_index < 0 || e > worst.max_error) {
          worst = {e, static_cast<int>(k), i, j, s, n};
        }
      }
    }
  }
  return worst;
}

StatusOr<double> ComputeGradientError(const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                                      const Output& y, const GradientCheckOptions& options) {
  KILN_ASSIGN_OR_RETURN(std::vector<Jacobians> j, ComputeJacobians(xs, x_values, y, options));
  return MaxJacobianError(j).max_error;
}

::testing::AssertionResult GradientMatches(const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                                           const Output& y, const GradientCheckOptions& options, double tolerance) {
  StatusOr<std::vector<Jacobians>> j = ComputeJacobians(xs, x_values, y, options);
  if (!j.ok()) return ::testing::AssertionFailure() << "gradient check failed to run: " << j.status().ToString();
  GradientError e = MaxJacobianError(*j);
  if (e.max_error <= tolerance) return ::testing::AssertionSuccess() << e.ToString();
  return ::testing::AssertionFailure() << "gradient of " << y.name() << " disagrees with central differences: "
                                       << e.ToString() << " (tolerance " << tolerance << ")";
}

}  // namespace kiln::testing
