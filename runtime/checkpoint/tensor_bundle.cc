#include "runtime/checkpoint/tensor_bundle.h"

#include <cstring>

#include "graph/graphdef.h"
#include "proto/tensor_bundle.pb.h"
#include "runtime/checkpoint/crc32c.h"
#include "runtime/checkpoint/table.h"

namespace kiln::checkpoint {

std::string DataFilePath(const std::string& prefix) { return prefix + ".data-00000-of-00001"; }
std::string IndexFilePath(const std::string& prefix) { return prefix + ".index"; }

Status WriteBundle(const std::string& prefix, const std::map<std::string, Tensor>& tensors) {
  std::string data;
  std::map<std::string, std::string> index;
  proto::BundleHeaderProto header;
  header.set_num_shards(1);
  header.set_endianness(proto::BundleHeaderProto::LITTLE);
  header.mutable_version()->set_producer(1);
  index[""] = header.SerializeAsString();
  for (const auto& [name, t] : tensors) {
    if (name.empty()) return InvalidArgument("cannot save a tensor with an empty name");
    if (DataTypeSize(t.dtype()) == 0) return Unimplemented("cannot save " + name + " of dtype " + DataTypeName(t.dtype()));
    proto::BundleEntryProto entry;
    entry.set_dtype(static_cast<proto::DataType>(t.dtype()));
    for (int64_t d : t.dims()) entry.mutable_shape()->add_dim()->set_size(d);
    entry.set_shard_id(0);
    entry.set_offset(static_cast<int64_t>(data.size()));
    entry.set_size(static_cast<int64_t>(t.num_bytes()));
    entry.set_crc32c(MaskCrc(Crc32c(t.raw_data(), t.num_bytes())));
    data.append(static_cast<const char*>(t.raw_data()), t.num_bytes());
    index[name] = entry.SerializeAsString();
  }
  KILN_RETURN_IF_ERROR(WriteFileAtomically(DataFilePath(prefix), data));
  return WriteFileAtomically(IndexFilePath(prefix), BuildTable(index));
}

StatusOr<std::map<std::string, Tensor>> ReadBundle(const std::string& prefix) {
  std::string index_bytes, data;
  KILN_RETURN_IF_ERROR(ReadFileToString(IndexFilePath(prefix), &index_bytes));
  KILN_RETURN_IF_ERROR(ReadFileToString(DataFilePath(prefix), &data));
  const std::string name = IndexFilePath(prefix);
  KILN_ASSIGN_OR_RETURN(auto entries, ParseTable(index_bytes, name));
  auto header_it = entries.find("");
  proto::BundleHeaderProto header;
  if (header_it == entries.end() || !header.ParseFromString(header_it->second)) {
    return DataLoss(name + ": missing or corrupt bundle header");
  }
  if (header.num_shards() != 1) return Unimplemented(name + ": checkpoints with " + std::to_string(header.num_shards()) + " shards");
  if (header.endianness() != proto::BundleHeaderProto::LITTLE) return Unimplemented(name + ": big-endian checkpoint");
  std::map<std::string, Tensor> tensors;
  for (const auto& [key, value] : entries) {
    if (key.empty()) continue;
    proto::BundleEntryProto e;
    if (!e.ParseFromString(value)) return DataLoss(name + ": corrupt entry for '" + key + "'");
    if (e.slices_size() > 0) return Unimplemented(name + ": '" + key + "' is a partitioned variable");
    DataType dtype = static_cast<DataType>(e.dtype());
    std::vector<int64_t> dims;
    for (const auto& d : e.shape().dim()) dims.push_back(d.size());
    KILN_ASSIGN_OR_RETURN(Tensor t, Tensor::Make(dtype, dims));
    if (e.shard_id() != 0 || e.offset() < 0 || e.size() != static_cast<int64_t>(t.num_bytes()) ||
        static_cast<uint64_t>(e.offset()) + e.size() > data.size()) {
      return DataLoss(name + ": entry '" + key + "' (" + t.DebugString() + ") has a bad byte range");
    }
    std::memcpy(t.raw_data(), data.data() + e.offset(), t.num_bytes());
    if (UnmaskCrc(e.crc32c()) != Crc32c(t.raw_data(), t.num_bytes())) {
      return DataLoss(DataFilePath(prefix) + ": checksum mismatch for '" + key + "'");
    }
    tensors[key] = std::move(t);
  }
  return tensors;
}

}  // namespace kiln::checkpoint
