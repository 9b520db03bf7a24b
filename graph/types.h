// Element types (numbered as TensorFlow's DataType enum) and partial shapes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "graph/status.h"

namespace kiln {

enum DataType : int {
  DT_INVALID = 0,
  DT_FLOAT = 1,
  DT_DOUBLE = 2,
  DT_INT32 = 3,
  DT_UINT8 = 4,
  DT_INT16 = 5,
  DT_INT8 = 6,
  DT_STRING = 7,
  DT_INT64 = 9,
  DT_BOOL = 10,
  DT_BFLOAT16 = 14,
  DT_UINT16 = 17,
  DT_HALF = 19,
  DT_RESOURCE = 20,
  DT_UINT32 = 22,
  DT_UINT64 = 23,
};

// TF1 Python spellings, so ported code reads `tf::placeholder(tf::float32, {-1, 784})`.
inline constexpr DataType float32 = DT_FLOAT;
inline constexpr DataType float64 = DT_DOUBLE;
inline constexpr DataType int32 = DT_INT32;
inline constexpr DataType int64 = DT_INT64;
inline constexpr DataType uint8 = DT_UINT8;
inline constexpr DataType boolean = DT_BOOL;

// "float", "int64", ... as TF prints dtypes in error messages.
std::string DataTypeName(DataType dtype);
// Parses "float", "DT_FLOAT", "float32", ...
bool ParseDataType(const std::string& text, DataType* out);
// Bytes per element; 0 for types Kiln cannot hold in a flat buffer (string, resource).
int64_t DataTypeSize(DataType dtype);
bool IsFloating(DataType dtype);
bool IsInteger(DataType dtype);

// A partial shape: unknown rank, or a list of dims where -1 is unknown.
class Shape {
 public:
  static constexpr int64_t kUnknownDim = -1;

  // `{}` is a scalar, as `[]` is in TF (tf.placeholder(tf.float32, [])); unknown rank is always
  // spelled Shape::UnknownRank().
  Shape() : unknown_rank_(false) {}
  Shape(std::initializer_list<int64_t> dims) : unknown_rank_(false), dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : unknown_rank_(false), dims_(std::move(dims)) {}
  static Shape UnknownRank() {
    Shape s;
    s.unknown_rank_ = true;
    return s;
  }
  static Shape Scalar() { return Shape(std::vector<int64_t>{}); }
  static Shape Unknown(int rank) { return Shape(std::vector<int64_t>(rank, kUnknownDim)); }

  bool unknown_rank() const { return unknown_rank_; }
  int rank() const { return unknown_rank_ ? -1 : static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[i]; }
  const std::vector<int64_t>& dims() const { return dims_; }
  void set_dim(int i, int64_t v) { dims_[i] = v; }
  bool IsFullyDefined() const;
  // Product of dims; -1 if not fully defined.
  int64_t num_elements() const;
  // Whether some concrete shape satisfies both.
  bool IsCompatibleWith(const Shape& other) const;
  // The most specific shape compatible with both; error if incompatible.
  StatusOr<Shape> Merge(const Shape& other) const;
  // "[?,784]", "<unknown>", "[]" as TF prints shapes.
  std::string ToString() const;
  bool operator==(const Shape& o) const { return unknown_rank_ == o.unknown_rank_ && dims_ == o.dims_; }
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  bool unknown_rank_;
  std::vector<int64_t> dims_;
};

// What a node output carries: element type and partial shape. `is_ref` marks TF1 variable refs.
struct TensorType {
  DataType dtype = DT_INVALID;
  Shape shape = Shape::UnknownRank();
  bool is_ref = false;
  std::string ToString() const;  // "float[?,784]"
};

}  // namespace kiln
