#include "runtime/data/mnist.h"

#include <cmath>
#include <cstring>

#include "runtime/data/idx.h"

namespace kiln::data {
namespace {

constexpr int kClasses = 10;

StatusOr<DataSplit> LoadSplit(const std::string& dir, const std::string& prefix, bool flatten) {
  std::string image_path = dir + "/" + prefix + "-images-idx3-ubyte";
  std::string label_path = dir + "/" + prefix + "-labels-idx1-ubyte";
  KILN_ASSIGN_OR_RETURN(Tensor raw_images, ReadIdx(image_path));
  KILN_ASSIGN_OR_RETURN(Tensor raw_labels, ReadIdx(label_path));
  if (raw_images.rank() != 3 || raw_images.dtype() != DT_UINT8) {
    return InvalidArgument(image_path + ": expected uint8 images of rank 3, got " + raw_images.DebugString());
  }
  if (raw_labels.rank() != 1 || raw_labels.dtype() != DT_UINT8) {
    return InvalidArgument(label_path + ": expected uint8 labels of rank 1, got " + raw_labels.DebugString());
  }
  int64_t n = raw_images.dim(0);
  if (raw_labels.dim(0) != n) {
    return InvalidArgument(image_path + " has " + std::to_string(n) + " images but " + label_path + " has " +
                           std::to_string(raw_labels.dim(0)) + " labels");
  }
  int64_t h = raw_images.dim(1), w = raw_images.dim(2);
  DataSplit split;
  std::vector<int64_t> dims = flatten ? std::vector<int64_t>{n, h * w} : std::vector<int64_t>{n, h, w, 1};
  KILN_ASSIGN_OR_RETURN(split.images, Tensor::Make(DT_FLOAT, dims));
  for (int64_t i = 0; i < raw_images.num_elements(); ++i) {
    split.images.data<float>()[i] = raw_images.data<uint8_t>()[i] / 255.0f;
  }
  KILN_ASSIGN_OR_RETURN(split.labels, Tensor::Make(DT_INT64, {n}));
  for (int64_t i = 0; i < n; ++i) {
    int64_t label = raw_labels.data<uint8_t>()[i];
    if (label >= kClasses) {
      return InvalidArgument(label_path + ": label " + std::to_string(label) + " at index " + std::to_string(i) +
                             " is out of range [0, " + std::to_string(kClasses) + ")");
    }
    split.labels.data<int64_t>()[i] = label;
  }
  split.one_hot = OneHot(split.labels, kClasses);
  return split;
}

DataSplit Rows(const DataSplit& s, int64_t begin, int64_t end) {
  return {SliceRows(s.images, begin, end), SliceRows(s.labels, begin, end), SliceRows(s.one_hot, begin, end)};
}

}  // namespace

std::string DefaultMnistDir() { return "/usr/share/datasets/fashion-mnist"; }

StatusOr<MnistData> LoadMnist(const std::string& dir, const LoadOptions& options) {
  KILN_ASSIGN_OR_RETURN(DataSplit train, LoadSplit(dir, "train", options.flatten));
  KILN_ASSIGN_OR_RETURN(DataSplit test, LoadSplit(dir, "t10k", options.flatten));
  if (options.validation_size < 0 || options.validation_size > train.size()) {
    return InvalidArgument("validation size " + std::to_string(options.validation_size) + " must be between 0 and " +
                           std::to_string(train.size()) + " (the number of training images in " + dir + ")");
  }
  MnistData data;
  data.validation = Rows(train, 0, options.validation_size);
  int64_t end = train.size();
  if (options.limit > 0) end = std::min(end, options.validation_size + options.limit);
  data.train = Rows(train, options.validation_size, end);
  data.test = std::move(test);
  return data;
}

Status StandardizeImages(MnistData* data) {
  const Tensor& train = data->train.images;
  const int64_t n = train.valid() ? train.num_elements() : 0;
  if (n == 0) return InvalidArgument("StandardizeImages: the training split has no images");
  const float* x = train.data<float>();
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(n);
  double squares = 0;
  for (int64_t i = 0; i < n; ++i) squares += (x[i] - mean) * (x[i] - mean);
  const double std = std::sqrt(squares / static_cast<double>(n));
  if (!(std > 0)) return InvalidArgument("StandardizeImages: the training images are constant (std 0)");
  for (DataSplit* split : {&data->train, &data->validation, &data->test}) {
    if (!split->images.valid()) continue;
    float* v = split->images.data<float>();
    for (int64_t i = 0, size = split->images.num_elements(); i < size; ++i) {
      v[i] = static_cast<float>((v[i] - mean) / std);
    }
  }
  return OkStatus();
}

Tensor OneHot(const Tensor& labels, int depth) {
  Tensor t(DT_FLOAT, {labels.dim(0), depth});
  for (int64_t i = 0; i < labels.dim(0); ++i) {
    int64_t l = labels.data<int64_t>()[i];
    if (l >= 0 && l < depth) t.data<float>()[i * depth + l] = 1.0f;
  }
  return t;
}

Tensor SliceRows(const Tensor& t, int64_t begin, int64_t end) {
  std::vector<int64_t> dims = t.dims();
  int64_t row_bytes = t.dim(0) ? static_cast<int64_t>(t.num_bytes()) / t.dim(0) : 0;
  dims[0] = end - begin;
  Tensor out(t.dtype(), dims);
  if (row_bytes * (end - begin) > 0) {
    std::memcpy(out.raw_data(), static_cast<const char*>(t.raw_data()) + begin * row_bytes, row_bytes * (end - begin));
  }
  return out;
}

}  // namespace kiln::data
