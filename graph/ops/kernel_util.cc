#include "graph/ops/kernel_util.h"

namespace kiln {

std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

BroadcastCursor::BroadcastCursor(const std::vector<int64_t>& out_dims, const std::vector<int64_t>& in_dims)
    : out_dims_(out_dims), strides_(out_dims.size(), 0), idx_(out_dims.size(), 0) {
  std::vector<int64_t> in_strides = RowMajorStrides(in_dims);
  size_t lead = out_dims.size() - in_dims.size();
  for (size_t i = 0; i < in_dims.size(); ++i) strides_[lead + i] = in_dims[i] == 1 ? 0 : in_strides[i];
}

std::vector<int64_t> TensorToInts(const Tensor& t) {
  std::vector<int64_t> v(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    v[i] = t.dtype() == DT_INT64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i];
  }
  return v;
}

Tensor IntsToTensor(const std::vector<int64_t>& values, DataType dtype) {
  Tensor t(dtype, {static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DT_INT64) t.data<int64_t>()[i] = values[i];
    else t.data<int32_t>()[i] = static_cast<int32_t>(values[i]);
  }
  return t;
}

}  // namespace kiln
