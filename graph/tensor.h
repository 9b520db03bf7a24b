// Tensor: a dtype, a concrete shape and a 64-byte-aligned, reference-counted buffer. Copies share the
// buffer (like tensorflow::Tensor); Clone() makes a deep copy.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "graph/status.h"
#include "graph/types.h"

namespace kiln {

// Alignment of every buffer Kiln allocates: one cache line, and the width of an AVX-512 vector.
inline constexpr size_t kTensorAlignment = 64;

class TensorBuffer {
 public:
  // nullptr when the allocation fails or exceeds the cap.
  static std::shared_ptr<TensorBuffer> Allocate(size_t bytes);
  // A buffer over memory someone else owns (an Executable's slot, a fed array): not freed here.
  static std::shared_ptr<TensorBuffer> Borrow(void* data, size_t bytes);
  // `n` empty std::string elements (a DT_STRING tensor's storage), destroyed with the buffer.
  // nullptr when n * sizeof(std::string) exceeds the cap or the allocation fails.
  static std::shared_ptr<TensorBuffer> AllocateStrings(int64_t n);
  ~TensorBuffer();
  void* data() const { return data_; }
  size_t size() const { return size_; }

  // The largest single allocation Kiln will make (default 16 GiB); files that claim more are refused.
  static void SetAllocationCap(size_t bytes);
  static size_t AllocationCap();

 private:
  TensorBuffer(void* data, size_t size, bool owned) : data_(data), size_(size), owned_(owned) {}
  void* data_;
  size_t size_;
  bool owned_;
  int64_t num_strings_ = 0;  // std::string objects constructed in data_ (AllocateStrings)
  void* allocation_ = nullptr;  // what calloc returned, when owned (data_ is it, aligned)
};

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor. If the allocation fails the tensor is invalid (!valid()); use Make() to
  // get a Status instead.
  Tensor(DataType dtype, std::vector<int64_t> dims);
  static StatusOr<Tensor> Make(DataType dtype, std::vector<int64_t> dims);
  // A tensor viewing `data` without owning it; the caller keeps the memory alive.
  static Tensor Wrap(DataType dtype, std::vector<int64_t> dims, void* data);

  // Convenience constructors for tests and examples.
  template <typename T>
  static Tensor FromVector(const std::vector<T>& values, std::vector<int64_t> dims);
  template <typename T>
  static Tensor Scalar(T value) { return FromVector<T>({value}, {}); }

  bool valid() const { return dtype_ != DT_INVALID && (buffer_ || num_elements() == 0); }
  DataType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[i]; }
  Shape shape() const { return Shape(dims_); }
  // Cached: kernels call this in loop conditions.
  int64_t num_elements() const { return num_elements_; }
  size_t num_bytes() const { return static_cast<size_t>(num_elements()) * DataTypeSize(dtype_); }

  void* raw_data() const { return buffer_ ? buffer_->data() : nullptr; }
  template <typename T> T* data() const { return static_cast<T*>(raw_data()); }
  template <typename T> T scalar() const { return data<T>()[0]; }

  // DT_STRING tensors hold their elements as std::string objects in the (refcounted) buffer, so
  // a view (Wrap) of a string slot reads and writes them in place. num_bytes() is 0 for them:
  // DataTypeSize(DT_STRING) stays 0, so code that copies raw bytes (checkpoints, .npy, memcpy
  // kernels) never copies std::string objects bytewise; Clone() copies the strings.
  std::string* strings() const { return data<std::string>(); }
  static Tensor FromStrings(const std::vector<std::string>& values, std::vector<int64_t> dims);
  static Tensor StringScalar(std::string value) { return FromStrings({std::move(value)}, {}); }

  Tensor Clone() const;
  // Same buffer, new dims of the same element count (Reshape without a copy).
  StatusOr<Tensor> Reshaped(std::vector<int64_t> dims) const;
  // "float[32,784]"
  std::string DebugString() const;
  // Up to `max_elements` values, for messages and `kiln` output.
  std::string SummarizeValues(int64_t max_elements = 10) const;

 private:
  // Product of dims_, or -1 if a dim is negative or the product overflows.
  static int64_t CountElements(const std::vector<int64_t>& dims);

  DataType dtype_ = DT_INVALID;
  std::vector<int64_t> dims_;
  int64_t num_elements_ = 1;  // of the scalar shape []
  std::shared_ptr<TensorBuffer> buffer_;
};

// Maps a C++ element type to its DataType.
template <typename T> struct DataTypeOf;
template <> struct DataTypeOf<float> { static constexpr DataType value = DT_FLOAT; };
template <> struct DataTypeOf<double> { static constexpr DataType value = DT_DOUBLE; };
template <> struct DataTypeOf<int32_t> { static constexpr DataType value = DT_INT32; };
template <> struct DataTypeOf<int64_t> { static constexpr DataType value = DT_INT64; };
template <> struct DataTypeOf<uint8_t> { static constexpr DataType value = DT_UINT8; };
template <> struct DataTypeOf<bool> { static constexpr DataType value = DT_BOOL; };
template <> struct DataTypeOf<std::string> { static constexpr DataType value = DT_STRING; };

template <typename T>
Tensor Tensor::FromVector(const std::vector<T>& values, std::vector<int64_t> dims) {
  Tensor t(DataTypeOf<T>::value, std::move(dims));
  int64_t n = t.num_elements();
  for (int64_t i = 0; i < n && i < static_cast<int64_t>(values.size()); ++i) t.data<T>()[i] = values[i];
  return t;
}

}  // namespace kiln
