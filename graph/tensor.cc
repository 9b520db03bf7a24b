#include "graph/tensor.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstdint>
#include <sstream>

namespace kiln {
namespace {
std::atomic<size_t> g_allocation_cap{size_t{16} << 30};

// A string element for messages: quoted, non-printable bytes as \xNN, long ones cut at 32 bytes
// (summaries are serialized protos).
std::string QuotedPrefix(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 32; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + (s.size() > 32 ? "\"..." : "\"");
}
}  // namespace

std::shared_ptr<TensorBuffer> TensorBuffer::Allocate(size_t bytes) {
  if (bytes > g_allocation_cap.load()) return nullptr;
  // aligned_alloc needs a size that is a multiple of the alignment; 0 bytes still gets one line so
  // data() is never null for a valid tensor.
  size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded == 0) rounded = kTensorAlignment;
  // calloc clears only memory it reuses: memory fresh from the kernel reads as zero and is backed
  // only when first written, so a large tensor costs nothing until used (an Executable's arena has
  // its own mapping, runtime/arena_memory.h). Over-allocated by one alignment unit to align it.
  void* raw = std::calloc(1, rounded + kTensorAlignment);
  if (!raw) return nullptr;
  auto address = (reinterpret_cast<uintptr_t>(raw) + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  auto buffer = std::shared_ptr<TensorBuffer>(new TensorBuffer(reinterpret_cast<void*>(address), bytes, true));
  buffer->allocation_ = raw;
  return buffer;
}

std::shared_ptr<TensorBuffer> TensorBuffer::Borrow(void* data, size_t bytes) {
  return std::shared_ptr<TensorBuffer>(new TensorBuffer(data, bytes, false));
}

std::shared_ptr<TensorBuffer> TensorBuffer::AllocateStrings(int64_t n) {
  if (n < 0 || static_cast<uint64_t>(n) > g_allocation_cap.load() / sizeof(std::string)) return nullptr;
  std::shared_ptr<TensorBuffer> buffer = Allocate(static_cast<size_t>(n) * sizeof(std::string));
  if (!buffer) return nullptr;
  auto* s = static_cast<std::string*>(buffer->data_);
  for (int64_t i = 0; i < n; ++i) new (s + i) std::string();
  buffer->num_strings_ = n;
  return buffer;
}

TensorBuffer::~TensorBuffer() {
  auto* s = static_cast<std::string*>(data_);
  for (int64_t i = 0; i < num_strings_; ++i) s[i].~basic_string();
  if (owned_) std::free(allocation_);
}

Tensor Tensor::Wrap(DataType dtype, std::vector<int64_t> dims, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.num_elements_ = CountElements(t.dims_);
  t.buffer_ = TensorBuffer::Borrow(data, t.num_bytes());
  return t;
}
void TensorBuffer::SetAllocationCap(size_t bytes) { g_allocation_cap = bytes; }
size_t TensorBuffer::AllocationCap() { return g_allocation_cap.load(); }

Tensor::Tensor(DataType dtype, std::vector<int64_t> dims)
    : dtype_(dtype), dims_(std::move(dims)), num_elements_(CountElements(dims_)) {
  if (dtype == DT_STRING) {
    buffer_ = TensorBuffer::AllocateStrings(num_elements_);
    if (!buffer_) dtype_ = DT_INVALID;
    return;
  }
  int64_t n = num_elements_;
  int64_t elem = DataTypeSize(dtype);
  if (n < 0 || elem == 0 || (n > 0 && static_cast<uint64_t>(n) > (uint64_t{1} << 62) / elem)) {
    dtype_ = DT_INVALID;
    return;
  }
  buffer_ = TensorBuffer::Allocate(static_cast<size_t>(n * elem));
  if (!buffer_) dtype_ = DT_INVALID;
}

StatusOr<Tensor> Tensor::Make(DataType dtype, std::vector<int64_t> dims) {
  Shape shape(dims);
  for (int64_t d : dims) {
    if (d < 0) return InvalidArgument("cannot allocate a tensor of shape " + shape.ToString());
  }
  if (DataTypeSize(dtype) == 0 && dtype != DT_STRING) {
    return Unimplemented("Kiln cannot allocate tensors of dtype " + DataTypeName(dtype));
  }
  Tensor t(dtype, dims);
  if (!t.valid()) {
    return ResourceExhausted("cannot allocate a " + DataTypeName(dtype) + " tensor of shape " +
                             shape.ToString() + " (over the allocation cap or out of memory)");
  }
  return t;
}

int64_t Tensor::CountElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    if (d != 0 && n > (int64_t{1} << 62) / d) return -1;  // overflow: treated as invalid
    n *= d;
  }
  return n;
}

Tensor Tensor::Clone() const {
  Tensor t(dtype_, dims_);
  if (t.valid() && num_bytes() > 0) std::memcpy(t.raw_data(), raw_data(), num_bytes());
  if (t.valid() && dtype_ == DT_STRING) std::copy(strings(), strings() + num_elements(), t.strings());
  return t;
}

Tensor Tensor::FromStrings(const std::vector<std::string>& values, std::vector<int64_t> dims) {
  Tensor t(DT_STRING, std::move(dims));
  for (int64_t i = 0; t.valid() && i < t.num_elements() && i < static_cast<int64_t>(values.size()); ++i) {
    t.strings()[i] = values[i];
  }
  return t;
}

StatusOr<Tensor> Tensor::Reshaped(std::vector<int64_t> dims) const {
  Tensor t = *this;
  t.dims_ = std::move(dims);
  t.num_elements_ = CountElements(t.dims_);
  if (t.num_elements() != num_elements()) {
    return InvalidArgument("cannot reshape a tensor of shape " + shape().ToString() + " to " +
                           t.shape().ToString());
  }
  return t;
}

std::string Tensor::DebugString() const { return DataTypeName(dtype_) + shape().ToString(); }

std::string Tensor::SummarizeValues(int64_t max_elements) const {
  std::ostringstream os;
  int64_t n = num_elements();
  for (int64_t i = 0; i < n && i < max_elements; ++i) {
    if (i) os << " ";
    switch (dtype_) {
      case DT_FLOAT: os << data<float>()[i]; break;
      case DT_DOUBLE: os << data<double>()[i]; break;
      case DT_INT32: os << data<int32_t>()[i]; break;
      case DT_INT64: os << data<int64_t>()[i]; break;
      case DT_UINT8: os << static_cast<int>(data<uint8_t>()[i]); break;
      case DT_BOOL: os << (data<bool>()[i] ? "True" : "False"); break;
      case DT_STRING: os << QuotedPrefix(strings()[i]); break;
      default: os << "?"; break;
    }
  }
  if (n > max_elements) os << "...";
  return os.str();
}

}  // namespace kiln
