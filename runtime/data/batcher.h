// Mini-batches like TF1's DataSet.next_batch: a seeded shuffle at the start of every epoch; when an
// epoch's remainder is smaller than the batch, the batch takes the rest of this epoch plus the
// start of the next (reshuffled) one.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "runtime/data/mnist.h"

namespace kiln::data {

class MiniBatcher {
 public:
  MiniBatcher(const DataSplit& split, uint64_t seed, bool shuffle = true);
  Status NextBatch(int64_t batch, Tensor* images, Tensor* one_hot, Tensor* labels = nullptr);
  int64_t epochs_completed() const { return epochs_completed_; }

 private:
  void Reshuffle();
  const DataSplit& split_;
  bool shuffle_;
  std::mt19937_64 rng_;
  std::vector<int64_t> order_;
  int64_t position_ = 0;
  int64_t epochs_completed_ = 0;
};

// The batch TF's models/image/mnist/convolutional.py trains on at `step` (counting from 0): rows
// [offset, offset + batch) of the split in data order, offset = (step * batch) % (size - batch).
// Never shuffled; the tutorial's own loop, which seed 004 keeps. Needs size > batch.
Status TutorialBatch(const DataSplit& split, int64_t step, int64_t batch, Tensor* images, Tensor* one_hot,
                     Tensor* labels);

}  // namespace kiln::data
