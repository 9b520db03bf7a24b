#include "graph/ops/conv_geometry.h"

namespace kiln {

StatusOr<Window1D> WindowedOutput(int64_t in, int64_t k, int64_t stride, const std::string& padding) {
  if (stride <= 0 || k <= 0) return InvalidArgument("window and stride must be positive");
  Window1D w;
  if (in < 0) {
    w.out = -1;
    return w;
  }
  if (padding == "VALID") {
    if (in < k) return InvalidArgument("window size " + std::to_string(k) + " is larger than the input " + std::to_string(in) + " with VALID padding");
    w.out = (in - k + stride) / stride;
  } else if (padding == "SAME") {
    w.out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>((w.out - 1) * stride + k - in, 0);
    w.pad_before = total / 2;
  } else {
    return InvalidArgument("padding must be SAME or VALID, got '" + padding + "'");
  }
  return w;
}

Status SpatialPair(const std::vector<int64_t>& v, const std::string& what, int64_t* h, int64_t* w) {
  if (v.size() != 4) return InvalidArgument(what + " must have 4 entries (NHWC), got " + std::to_string(v.size()));
  if (v[0] != 1 || v[3] != 1) return Unimplemented(what + " over the batch or channel dimension");
  *h = v[1];
  *w = v[2];
  return OkStatus();
}

}  // namespace kiln
