#include "codegen/broadcast_layout.h"

#include <limits>

namespace kiln::codegen {

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

StatusOr<BroadcastLayout> PlanBroadcast(const std::vector<int64_t>& shape,
                                        const std::vector<std::vector<int64_t>>& input_shapes, bool keep_innermost) {
  const int rank = static_cast<int>(shape.size());
  if (keep_innermost && rank == 0) return InvalidArgument("a scalar iteration shape has no innermost dim to keep");
  BroadcastLayout layout;
  layout.num_elements = 1;
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("iteration shape " + DimsToString(shape) + " has a negative or unknown dim");
    if (d > 0 && layout.num_elements > std::numeric_limits<int64_t>::max() / d) {
      return InvalidArgument("iteration shape " + DimsToString(shape) + " has more than 2^63 elements");
    }
    layout.num_elements *= d;
  }
  // Each input's dims aligned to `shape` (leading 1s added); broadcast[k][d] says it repeats along d.
  std::vector<std::vector<bool>> broadcast(input_shapes.size(), std::vector<bool>(rank, true));
  for (size_t k = 0; k < input_shapes.size(); ++k) {
    const std::vector<int64_t>& in = input_shapes[k];
    const int offset = rank - static_cast<int>(in.size());
    if (offset < 0) {
      return InvalidArgument("input " + std::to_string(k) + " of shape " + DimsToString(in) + " has a higher rank than the iteration shape " + DimsToString(shape));
    }
    for (int d = 0; d < static_cast<int>(in.size()); ++d) {
      if (in[d] != 1 && in[d] != shape[offset + d]) {
        return InvalidArgument("input " + std::to_string(k) + " of shape " + DimsToString(in) + " does not broadcast to " + DimsToString(shape));
      }
      broadcast[k][offset + d] = in[d] == 1;
    }
  }
  if (layout.num_elements == 0) {  // no elements: one empty dim, or [rows, 0] (rows of empty reductions)
    int64_t rows = 1;
    for (int d = 0; d + 1 < rank; ++d) rows *= shape[d];
    layout.dims = keep_innermost ? std::vector<int64_t>{rows, shape.back()} : std::vector<int64_t>{0};
    layout.strides.assign(input_shapes.size(), std::vector<int64_t>(layout.dims.size(), 0));
    return layout;
  }
  // Merge runs of dims (size-1 dims dropped) with the same broadcast pattern for every input.
  std::vector<int> group_first;  // the first original dim of each merged dim
  for (int d = 0; d < rank; ++d) {
    const bool innermost = keep_innermost && d == rank - 1;
    if (shape[d] == 1 && !innermost) continue;
    bool same = !layout.dims.empty() && !innermost;
    for (size_t k = 0; same && k < input_shapes.size(); ++k) same = broadcast[k][d] == broadcast[k][group_first.back()];
    if (same) {
      layout.dims.back() *= shape[d];
    } else {
      layout.dims.push_back(shape[d]);
      group_first.push_back(d);
    }
  }
  if (layout.dims.empty()) {  // a single element
    layout.dims = {1};
    layout.strides.assign(input_shapes.size(), {0});
    return layout;
  }
  for (size_t k = 0; k < input_shapes.size(); ++k) {
    std::vector<int64_t> strides(layout.dims.size(), 0);
    int64_t stride = 1;
    for (int g = static_cast<int>(layout.dims.size()) - 1; g >= 0; --g) {
      if (broadcast[k][group_first[g]]) continue;
      strides[g] = stride;
      stride *= layout.dims[g];
    }
    layout.strides.push_back(std::move(strides));
  }
  return layout;
}

}  // namespace kiln::codegen
