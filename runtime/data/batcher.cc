#include "runtime/data/batcher.h"

#include <cstring>

namespace kiln::data {

MiniBatcher::MiniBatcher(const DataSplit& split, uint64_t seed, bool shuffle)
    : split_(split), shuffle_(shuffle), rng_(seed), order_(split.size()) {
  for (int64_t i = 0; i < split.size(); ++i) order_[i] = i;
  Reshuffle();
}

// Fisher-Yates with our own index draws, so batches do not depend on the standard library's
// std::shuffle implementation.
void MiniBatcher::Reshuffle() {
  if (!shuffle_) return;
  for (int64_t i = static_cast<int64_t>(order_.size()) - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(rng_() % static_cast<uint64_t>(i + 1));
    std::swap(order_[i], order_[j]);
  }
}

Status MiniBatcher::NextBatch(int64_t batch, Tensor* images, Tensor* one_hot, Tensor* labels) {
  int64_t n = split_.size();
  if (n == 0) return FailedPrecondition("cannot draw a batch from an empty data split");
  if (batch <= 0) return InvalidArgument("batch size must be positive, got " + std::to_string(batch));
  auto rows_of = [&](const Tensor& t, Tensor* out) -> Status {
    std::vector<int64_t> dims = t.dims();
    dims[0] = batch;
    KILN_ASSIGN_OR_RETURN(*out, Tensor::Make(t.dtype(), dims));
    return OkStatus();
  };
  KILN_RETURN_IF_ERROR(rows_of(split_.images, images));
  KILN_RETURN_IF_ERROR(rows_of(split_.one_hot, one_hot));
  if (labels) KILN_RETURN_IF_ERROR(rows_of(split_.labels, labels));
  size_t image_row = split_.images.num_bytes() / n, hot_row = split_.one_hot.num_bytes() / n;
  for (int64_t b = 0; b < batch; ++b) {
    if (position_ == n) {
      position_ = 0;
      ++epochs_completed_;
      Reshuffle();
    }
    int64_t r = order_[position_++];
    std::memcpy(static_cast<char*>(images->raw_data()) + b * image_row,
                static_cast<const char*>(split_.images.raw_data()) + r * image_row, image_row);
    std::memcpy(static_cast<char*>(one_hot->raw_data()) + b * hot_row,
                static_cast<const char*>(split_.one_hot.raw_data()) + r * hot_row, hot_row);
    if (labels) labels->data<int64_t>()[b] = split_.labels.data<int64_t>()[r];
  }
  return OkStatus();
}

Status TutorialBatch(const DataSplit& split, int64_t step, int64_t batch, Tensor* images, Tensor* one_hot,
                     Tensor* labels) {
  const int64_t n = split.size();
  if (batch <= 0) return InvalidArgument("batch size must be positive, got " + std::to_string(batch));
  if (n <= batch) {
    return InvalidArgument("the tutorial's batches need more examples than the batch size, got " + std::to_string(n) +
                           " examples for batches of " + std::to_string(batch));
  }
  const int64_t offset = (step * batch) % (n - batch);
  *images = SliceRows(split.images, offset, offset + batch);
  *one_hot = SliceRows(split.one_hot, offset, offset + batch);
  if (labels) *labels = SliceRows(split.labels, offset, offset + batch);
  return OkStatus();
}

}  // namespace kiln::data
