// Shared pieces of elementwise op definitions: kernel factories over dtypes and the registration
// of the common signatures (binary broadcasting, comparison, unary). Internal to graph/ops/.
#pragma once

#include <functional>
#include <string>

#include "graph/op_registry.h"
#include "graph/ops/kernel_util.h"
#include "graph/shape_inference.h"

namespace kiln {

// Binary kernel over numeric types (or floats only), out[i] = f(x[ix], y[iy]).
template <bool kFloatOnly, typename F>
inline KernelFn BinaryKernel(const char* name, F f) {
  return [=](KernelContext& c) {
    auto body = [&]<typename T>() {
      BroadcastBinary<T, T>(c.input(0), c.input(1), c.output(0), [&](T a, T b) { return static_cast<T>(f(a, b)); });
      return OkStatus();
    };
    if constexpr (kFloatOnly) return DispatchFloat(c.input(0).dtype(), name, body);
    else return DispatchNumeric(c.input(0).dtype(), name, body);
  };
}

template <typename F>
inline KernelFn CompareKernel(const char* name, F f) {
  return [=](KernelContext& c) {
    return DispatchAll(c.input(0).dtype(), name, [&]<typename T>() {
      BroadcastBinary<T, bool>(c.input(0), c.input(1), c.output(0), [&](T a, T b) { return f(a, b); });
      return OkStatus();
    });
  };
}

template <typename F>
inline KernelFn UnaryFloatKernel(const char* name, F f) {
  return [=](KernelContext& c) {
    return DispatchFloat(c.input(0).dtype(), name, [&]<typename T>() {
      const T* x = c.input(0).data<T>();
      T* y = c.output(0).data<T>();
      for (int64_t i = 0; i < c.output(0).num_elements(); ++i) y[i] = static_cast<T>(f(x[i]));
      return OkStatus();
    });
  };
}

template <typename F>
inline KernelFn UnaryNumericKernel(const char* name, F f) {
  return [=](KernelContext& c) {
    return DispatchNumeric(c.input(0).dtype(), name, [&]<typename T>() {
      const T* x = c.input(0).data<T>();
      T* y = c.output(0).data<T>();
      for (int64_t i = 0; i < c.output(0).num_elements(); ++i) y[i] = static_cast<T>(f(x[i]));
      return OkStatus();
    });
  };
}

// Lowerings of one-output ops whose expression depends only on the input values (no attrs).
using UnaryExprFn = std::function<ExprValue(ExprBuilder& b, ExprValue x)>;
using BinaryExprFn = std::function<ExprValue(ExprBuilder& b, ExprValue x, ExprValue y)>;
ElementwiseLoweringFn LowerUnary(UnaryExprFn f);
ElementwiseLoweringFn LowerBinary(BinaryExprFn f);

// Registers `name(x, y) -> z` with NumPy broadcasting; `lowering` may be null (reference only).
void RegisterBinary(OpRegistry& r, const char* name, const std::string& types, KernelFn kernel, GradFn grad,
                    bool commutative, ElementwiseLoweringFn lowering);
// Registers `name(x, y) -> bool z` (not differentiable); Equal/NotEqual carry TF2's
// incompatible_shape_error attr.
void RegisterCompare(OpRegistry& r, const char* name, KernelFn kernel, bool with_shape_error_attr,
                     ElementwiseLoweringFn lowering);
// Registers `name(x) -> y` of the same shape.
void RegisterUnary(OpRegistry& r, const char* name, const std::string& types, KernelFn kernel, GradFn grad,
                   ElementwiseLoweringFn lowering);

}  // namespace kiln
