#include "graph/ops/kernel_util.h"

namespace kiln {

std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

BroadcastCursor::BroadcastCursor(const std::vector<int64_t>& out_dims, const std::vector<int64_t>& in_dims,
                                 int outer_dims)
    : rank_(outer_dims >= 0 ? outer_dims : static_cast<int>(out_dims.size())), out_dims_(out_dims.data()) {
  int64_t* state = inline_.data();
  if (rank_ > kInlineRank) {
    heap_.assign(2 * rank_, 0);
    state = heap_.data();
  }
  strides_ = state;
  idx_ = state + rank_;
  // The input's row-major strides, right-aligned to the output's dims; broadcast dims step 0.
  // Only the walked (leading) dims keep theirs.
  int lead = static_cast<int>(out_dims.size()) - static_cast<int>(in_dims.size());
  int64_t stride = 1;
  for (int i = static_cast<int>(in_dims.size()) - 1; i >= 0; --i) {
    if (lead + i < rank_) strides_[lead + i] = in_dims[i] == 1 ? 0 : stride;
    stride *= in_dims[i];
  }
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

StatusOr<bool> BiasReluHasRelu(std::string_view op, const std::vector<std::string>& fused_ops) {
  if (fused_ops == std::vector<std::string>{"BiasAdd"}) return false;
  if (fused_ops == std::vector<std::string>{"BiasAdd", "Relu"}) return true;
  std::string list;
  for (const std::string& o : fused_ops) list += (list.empty() ? "" : ", ") + o;
  return InvalidArgument(std::string(op) + " supports fused_ops [BiasAdd] and [BiasAdd, Relu], got [" + list + "]");
}

}  // namespace kiln
