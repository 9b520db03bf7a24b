#include "runtime/data/npy.h"

#include <cstring>

#include "graph/graphdef.h"

namespace kiln::data {
namespace {

struct NpyType {
  const char* descr;
  DataType dtype;
};
constexpr NpyType kTypes[] = {{"<f4", DT_FLOAT}, {"<f8", DT_DOUBLE}, {"<i4", DT_INT32}, {"<i8", DT_INT64},
                              {"|u1", DT_UINT8}, {"<u1", DT_UINT8}, {"|b1", DT_BOOL}};

// The value of 'key' in the header dict, as raw text up to the next top-level comma or brace.
bool DictValue(const std::string& header, const std::string& key, std::string* value) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return false;
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return false;
  size_t i = colon + 1;
  while (i < header.size() && header[i] == ' ') ++i;
  size_t end = i;
  if (end < header.size() && header[end] == '(') {
    end = header.find(')', end);
    if (end == std::string::npos) return false;
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  }
  *value = header.substr(i, end - i);
  while (!value->empty() && value->back() == ' ') value->pop_back();
  return true;
}

}  // namespace

StatusOr<Tensor> ParseNpy(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return InvalidArgument(name + ": not a .npy file");
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return DataLoss(name + ": truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    return InvalidArgument(name + ": unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() < offset + header_len) return DataLoss(name + ": truncated .npy header");
  std::string header = bytes.substr(offset, header_len);
  std::string descr, fortran, shape_text;
  if (!DictValue(header, "descr", &descr) || !DictValue(header, "fortran_order", &fortran) ||
      !DictValue(header, "shape", &shape_text)) {
    return InvalidArgument(name + ": malformed .npy header: " + header);
  }
  if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"')) descr = descr.substr(1, descr.size() - 2);
  if (fortran != "False") return InvalidArgument(name + ": Fortran-order arrays are not supported");
  const NpyType* type = nullptr;
  for (const NpyType& t : kTypes) if (descr == t.descr) type = &t;
  if (!type) return InvalidArgument(name + ": unsupported .npy dtype '" + descr + "'");
  if (shape_text.size() < 2 || shape_text.front() != '(' || shape_text.back() != ')') {
    return InvalidArgument(name + ": malformed shape " + shape_text);
  }
  std::vector<int64_t> dims;
  std::string inner = shape_text.substr(1, shape_text.size() - 2);
  size_t pos = 0;
  uint64_t count = 1;
  while (pos < inner.size()) {
    size_t comma = inner.find(',', pos);
    std::string tok = inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? inner.size() : comma + 1;
    size_t b = tok.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    char* end = nullptr;
    long long d = std::strtoll(tok.c_str() + b, &end, 10);
    if (d < 0 || (*end && *end != ' ')) return InvalidArgument(name + ": malformed shape " + shape_text);
    dims.push_back(d);
    if (d && count > TensorBuffer::AllocationCap() / DataTypeSize(type->dtype) / static_cast<uint64_t>(d)) {
      return ResourceExhausted(name + ": shape " + shape_text + " exceeds the allocation cap");
    }
    count *= d;
  }
  size_t data_bytes = count * DataTypeSize(type->dtype);
  size_t data_offset = offset + header_len;
  if (bytes.size() != data_offset + data_bytes) {
    return DataLoss(name + ": .npy data is " + std::to_string(bytes.size() - data_offset) + " bytes, shape " + shape_text +
                    " needs " + std::to_string(data_bytes));
  }
  KILN_ASSIGN_OR_RETURN(Tensor t, Tensor::Make(type->dtype, dims));
  if (data_bytes) std::memcpy(t.raw_data(), bytes.data() + data_offset, data_bytes);
  return t;
}

StatusOr<Tensor> ReadNpy(const std::string& path) {
  std::string bytes;
  KILN_RETURN_IF_ERROR(ReadFileToString(path, &bytes));
  return ParseNpy(bytes, path);
}

Status WriteNpy(const std::string& path, const Tensor& t) {
  const char* descr = nullptr;
  for (const NpyType& k : kTypes) if (k.dtype == t.dtype() && !descr) descr = k.descr;
  if (!descr) return Unimplemented("cannot write dtype " + DataTypeName(t.dtype()) + " to .npy");
  std::string shape = "(";
  for (int i = 0; i < t.rank(); ++i) shape += std::to_string(t.dim(i)) + (t.rank() == 1 ? "," : (i + 1 < t.rank() ? ", " : ""));
  shape += ")";
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(t.raw_data()), t.num_bytes());
  return WriteFileAtomically(path, out);
}

}  // namespace kiln::data
