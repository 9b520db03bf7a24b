// Helpers shared by reference kernels: dtype dispatch and NumPy-style broadcasting. Kernels stay
// plain loops; these only remove the repetition.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/kernel_context.h"

namespace kiln {

// Calls f.template operator()<T>() for the C++ type of dtype, over the listed types.
template <typename... Ts, typename F>
Status DispatchTypes(DataType dtype, const std::string& what, F&& f) {
  Status result = Unimplemented(what + " has no reference kernel for dtype " + DataTypeName(dtype));
  bool done = ((DataTypeOf<Ts>::value == dtype ? (result = f.template operator()<Ts>(), true) : false) || ...);
  (void)done;
  return result;
}

template <typename F>
Status DispatchFloat(DataType dtype, const std::string& what, F&& f) {
  return DispatchTypes<float, double>(dtype, what, std::forward<F>(f));
}
template <typename F>
Status DispatchNumeric(DataType dtype, const std::string& what, F&& f) {
  return DispatchTypes<float, double, int32_t, int64_t, uint8_t>(dtype, what, std::forward<F>(f));
}
template <typename F>
Status DispatchAll(DataType dtype, const std::string& what, F&& f) {
  return DispatchTypes<float, double, int32_t, int64_t, uint8_t, bool>(dtype, what, std::forward<F>(f));
}

// Maps each element of a broadcast output to the flat index of one broadcast input: strides of
// size-1 (or missing leading) input dims are zero.
class BroadcastIndex {
 public:
  BroadcastIndex(const std::vector<int64_t>& out_dims, const std::vector<int64_t>& in_dims);
  // Flat input indices for all output elements, in order (reference kernels favour clarity).
  std::vector<int64_t> Indices() const;

 private:
  std::vector<int64_t> out_dims_;
  std::vector<int64_t> strides_;  // input stride per output dim (0 where broadcast)
};

// Row-major strides of dims.
std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& dims);

// Applies `fn(a, b)` elementwise with broadcasting: out[i] = fn(x[ix], y[iy]).
template <typename In, typename Out, typename F>
void BroadcastBinary(const Tensor& x, const Tensor& y, Tensor& out, F fn) {
  const In* a = x.data<In>();
  const In* b = y.data<In>();
  Out* o = out.data<Out>();
  int64_t n = out.num_elements();
  if (x.dims() == out.dims() && y.dims() == out.dims()) {
    for (int64_t i = 0; i < n; ++i) o[i] = fn(a[i], b[i]);
    return;
  }
  std::vector<int64_t> ia = BroadcastIndex(out.dims(), x.dims()).Indices();
  std::vector<int64_t> ib = BroadcastIndex(out.dims(), y.dims()).Indices();
  for (int64_t i = 0; i < n; ++i) o[i] = fn(a[ia[i]], b[ib[i]]);
}

// Reads an int32/int64 tensor into int64s.
std::vector<int64_t> TensorToInts(const Tensor& t);
// A 1-D int32 tensor holding `values` (the dtype TF uses for shapes and axes).
Tensor IntsToTensor(const std::vector<int64_t>& values, DataType dtype = DT_INT32);

}  // namespace kiln
