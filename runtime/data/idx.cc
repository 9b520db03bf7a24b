#include "runtime/data/idx.h"

#include <cstring>

#include "runtime/data/file_reader.h"

namespace kiln::data {
namespace {

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

struct IdxType {
  unsigned char code;
  int bytes;
  DataType dtype;
};
constexpr IdxType kTypes[] = {{0x08, 1, DT_UINT8}, {0x09, 1, DT_INT32}, {0x0B, 2, DT_INT32},
                              {0x0C, 4, DT_INT32}, {0x0D, 4, DT_FLOAT}, {0x0E, 8, DT_DOUBLE}};

}  // namespace

StatusOr<Tensor> ParseIdx(const std::string& bytes, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4 || p[0] != 0 || p[1] != 0) {
    return InvalidArgument(name + ": not an IDX file (bad magic number)");
  }
  const IdxType* type = nullptr;
  for (const IdxType& t : kTypes) if (t.code == p[2]) type = &t;
  if (!type) return InvalidArgument(name + ": unknown IDX element type 0x" + std::to_string(p[2]));
  int ndims = p[3];
  if (ndims < 1 || ndims > 4) return InvalidArgument(name + ": IDX rank " + std::to_string(ndims) + " (expected 1 to 4)");
  size_t header = 4 + 4 * static_cast<size_t>(ndims);
  if (bytes.size() < header) return DataLoss(name + ": truncated IDX header");
  std::vector<int64_t> dims;
  uint64_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    uint32_t d = BigEndian32(p + 4 + 4 * i);
    dims.push_back(d);
    if (d != 0 && count > (TensorBuffer::AllocationCap() / type->bytes) / d) {
      return ResourceExhausted(name + ": IDX dims " + Shape(dims).ToString() + " exceed the allocation cap");
    }
    count *= d;
  }
  uint64_t expected = header + count * type->bytes;
  if (bytes.size() != expected) {
    return DataLoss(name + ": IDX data is " + std::to_string(bytes.size()) + " bytes but its header " + Shape(dims).ToString() +
                    " needs " + std::to_string(expected) + (bytes.size() < expected ? " (truncated)" : " (trailing bytes)"));
  }
  KILN_ASSIGN_OR_RETURN(Tensor t, Tensor::Make(type->dtype, dims));
  const unsigned char* d = p + header;
  for (uint64_t i = 0; i < count; ++i, d += type->bytes) {
    switch (type->code) {
      case 0x08: t.data<uint8_t>()[i] = d[0]; break;
      case 0x09: t.data<int32_t>()[i] = static_cast<int8_t>(d[0]); break;
      case 0x0B: t.data<int32_t>()[i] = static_cast<int16_t>((d[0] << 8) | d[1]); break;
      case 0x0C: t.data<int32_t>()[i] = static_cast<int32_t>(BigEndian32(d)); break;
      case 0x0D: { uint32_t u = BigEndian32(d); std::memcpy(&t.data<float>()[i], &u, 4); break; }
      case 0x0E: {
        uint64_t u = (uint64_t{BigEndian32(d)} << 32) | BigEndian32(d + 4);
        std::memcpy(&t.data<double>()[i], &u, 8);
        break;
      }
    }
  }
  return t;
}

StatusOr<Tensor> ReadIdx(const std::string& path) {
  std::string bytes, resolved;
  KILN_RETURN_IF_ERROR(ReadMaybeGzipped(path, TensorBuffer::AllocationCap(), &bytes, &resolved));
  return ParseIdx(bytes, resolved);
}

}  // namespace kiln::data
