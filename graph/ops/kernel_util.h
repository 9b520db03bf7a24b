// Helpers shared by reference kernels: dtype dispatch and NumPy-style broadcasting. Kernels stay
// plain loops; these only remove the repetition.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/kernel_context.h"

namespace kiln {

// Calls f.template operator()<T>() for the C++ type of dtype, over the listed types.
// The error is built only when no type matches: a kernel run allocates nothing here.
template <typename... Ts, typename F>
Status DispatchTypes(DataType dtype, std::string_view what, F&& f) {
  Status result;
  bool done = ((DataTypeOf<Ts>::value == dtype ? (result = f.template operator()<Ts>(), true) : false) || ...);
  if (!done) return Unimplemented(std::string(what) + " has no reference kernel for dtype " + DataTypeName(dtype));
  return result;
}

template <typename F>
Status DispatchFloat(DataType dtype, std::string_view what, F&& f) {
  return DispatchTypes<float, double>(dtype, what, std::forward<F>(f));
}
template <typename F>
Status DispatchNumeric(DataType dtype, std::string_view what, F&& f) {
  return DispatchTypes<float, double, int32_t, int64_t, uint8_t>(dtype, what, std::forward<F>(f));
}
template <typename F>
Status DispatchAll(DataType dtype, std::string_view what, F&& f) {
  return DispatchTypes<float, double, int32_t, int64_t, uint8_t, bool>(dtype, what, std::forward<F>(f));
}

// Walks the elements of a broadcast output in row-major order while tracking the flat offset of
// the corresponding element of one input, in O(1) amortized per step and without allocating per
// element (the index-vector form costs gigabytes for large activations).
// Up to kInlineRank dimensions it keeps its state inline, so a warm kernel run allocates nothing.
class BroadcastCursor {
 public:
  // out_dims is read in place: it must outlive the cursor (kernels pass a tensor's dims()).
  // With outer_dims >= 0 the cursor walks only the first outer_dims of out_dims, a whole block of
  // the remaining dims per Next(); offset() is then the input offset of the block's first element.
  BroadcastCursor(const std::vector<int64_t>& out_dims, const std::vector<int64_t>& in_dims, int outer_dims = -1);
  BroadcastCursor(const BroadcastCursor&) = delete;
  BroadcastCursor& operator=(const BroadcastCursor&) = delete;
  int64_t offset() const { return offset_; }
  void Next() {
    for (int d = rank_ - 1; d >= 0; --d) {
      if (++idx_[d] < out_dims_[d]) {
        offset_ += strides_[d];
        return;
      }
      offset_ -= strides_[d] * (out_dims_[d] - 1);
      idx_[d] = 0;
    }
  }

 private:
  static constexpr int kInlineRank = 8;
  int rank_;
  std::array<int64_t, 2 * kInlineRank> inline_{};
  std::vector<int64_t> heap_;  // higher ranks
  const int64_t* out_dims_;
  int64_t* strides_;
  int64_t* idx_;
  int64_t offset_ = 0;
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
  if (y.num_elements() == 1) {  // tensor op scalar: the most common broadcast
    for (int64_t i = 0; i < n; ++i) o[i] = fn(a[x.num_elements() == 1 ? 0 : i], b[0]);
    if (x.dims() == out.dims()) return;
  }
  BroadcastCursor ca(out.dims(), x.dims()), cb(out.dims(), y.dims());
  for (int64_t i = 0; i < n; ++i, ca.Next(), cb.Next()) o[i] = fn(a[ca.offset()], b[cb.offset()]);
}

// Reads an int32/int64 tensor into int64s.
std::vector<int64_t> TensorToInts(const Tensor& t);
// A 1-D int32 tensor holding `values` (the dtype TF uses for shapes and axes).
Tensor IntsToTensor(const std::vector<int64_t>& values, DataType dtype = DT_INT32);

// The epilogue grappler's remapper fuses into a product (_FusedConv2D, _FusedMatMul), from the
// op's fused_ops attr: [BiasAdd] or [BiasAdd, Relu]. Whether the ReLU is applied, or
// InvalidArgument naming `op` and any other list.
StatusOr<bool> BiasReluHasRelu(std::string_view op, const std::vector<std::string>& fused_ops);

// The reference form of that epilogue: out[i] += bias[i % channels] (the bias runs along the
// innermost dim), then with `relu` max(0, .), NaN staying NaN as Relu's.
template <typename T>
void AddBiasThenRelu(T* out, int64_t n, const T* bias, int64_t channels, bool relu) {
  for (int64_t i = 0; i < n; ++i) {
    const T v = out[i] + bias[i % channels];
    out[i] = relu && v < T(0) ? T(0) : v;
  }
}

}  // namespace kiln
