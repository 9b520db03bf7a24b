// The per-element updates of the optimizer ops (training_ops.cc), over a range of elements, so the
// reference kernel (one call over everything) and the threaded library kernel (one call per chunk,
// runtime/kernels/optimizer_kernels.cc) share one definition of each formula.
#pragma once

#include <cmath>
#include <cstdint>

namespace kiln {

// var -= alpha * delta
template <typename T>
void GradientDescentUpdate(T alpha, const T* delta, T* var, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) var[i] -= alpha * delta[i];
}

// accum = momentum * accum + grad; var -= lr * accum, or with Nesterov
// var -= lr * grad + lr * momentum * accum (TF's training_ops).
template <typename T>
void MomentumUpdate(T lr, T momentum, bool nesterov, const T* grad, T* var, T* accum, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    accum[i] = accum[i] * momentum + grad[i];
    var[i] -= nesterov ? grad[i] * lr + accum[i] * momentum * lr : lr * accum[i];
  }
}

// The step size Adam applies at step t: lr sqrt(1 - b2^t) / (1 - b1^t).
template <typename T>
T AdamStepSize(T lr, T beta1_power, T beta2_power) {
  return lr * std::sqrt(T(1) - beta2_power) / (T(1) - beta1_power);
}

// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; var -= lr_t * m / (sqrt(v) + eps)
// (Kingma & Ba, as TF applies it; Nesterov uses b1 m + (1 - b1) g for m).
template <typename T>
void AdamUpdate(T lr_t, T beta1, T beta2, T epsilon, bool nesterov, const T* grad, T* var, T* m, T* v, int64_t begin,
                int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    m[i] += (grad[i] - m[i]) * (T(1) - beta1);
    v[i] += (grad[i] * grad[i] - v[i]) * (T(1) - beta2);
    T step = nesterov ? (m[i] * beta1 + (T(1) - beta1) * grad[i]) : m[i];
    var[i] -= lr_t * step / (std::sqrt(v[i]) + epsilon);
  }
}

}  // namespace kiln
