// MNIST-format data sets as TF1's input_data.read_data_sets(dir, one_hot=True) gives them: the
// first `validation_size` training images are the validation split, the rest train.
#pragma once

#include <string>

#include "graph/tensor.h"

namespace kiln::data {

struct DataSplit {
  Tensor images;   // float [N, 784] in [0, 1] (or [N, 28, 28, 1] unflattened)
  Tensor labels;   // int64 [N]
  Tensor one_hot;  // float [N, 10]
  int64_t size() const { return labels.valid() ? labels.dim(0) : 0; }
};

struct MnistData {
  DataSplit train, validation, test;
};

struct LoadOptions {
  int64_t validation_size = 5000;
  bool flatten = true;
  int64_t limit = -1;  // keep only the first `limit` training images (after the validation split)
};

// Debian's dataset-fashion-mnist location.
std::string DefaultMnistDir();
StatusOr<MnistData> LoadMnist(const std::string& dir, const LoadOptions& options = {});

// The CS231n notebooks' preprocessing: subtract the mean pixel of the training split and divide by
// its standard deviation (numpy's std, ddof 0), in every split, so that the training images have
// mean 0 and variance 1. Computed in double over all training pixels; with no training images or a
// constant training set (std 0), an InvalidArgument error and the data unchanged.
Status StandardizeImages(MnistData* data);

// int64 labels [N] -> float [N, depth].
Tensor OneHot(const Tensor& labels, int depth);
// Rows [begin, end) of a tensor of any dtype and rank (a copy).
Tensor SliceRows(const Tensor& t, int64_t begin, int64_t end);

}  // namespace kiln::data
