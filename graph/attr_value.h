// In-memory node attribute values. Mirrors TF's AttrValue oneof without depending on protobuf, so
// the IR stays independent of the wire format (graphdef.cc converts). Anything Kiln does not model
// (functions, string tensors, lists of tensors) is kept as the serialized proto bytes so imported
// graphs export unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "graph/tensor.h"
#include "graph/types.h"

namespace kiln {

// A serialized tensorflow AttrValue that Kiln carries but does not interpret.
struct RawAttr {
  std::string serialized;
  bool operator==(const RawAttr& o) const { return serialized == o.serialized; }
};

using AttrValue = std::variant<std::string, int64_t, float, bool, DataType, Shape, Tensor,
                               std::vector<std::string>, std::vector<int64_t>, std::vector<float>,
                               std::vector<bool>, std::vector<DataType>, std::vector<Shape>, RawAttr>;

using AttrMap = std::map<std::string, AttrValue>;

// The TF attr-type string of a value ("int", "list(int)", "tensor", ...).
std::string AttrTypeName(const AttrValue& value);
// Short human-readable form for `kiln dump` and error messages.
std::string AttrValueToString(const AttrValue& value);
bool AttrValuesEqual(const AttrValue& a, const AttrValue& b);

}  // namespace kiln
