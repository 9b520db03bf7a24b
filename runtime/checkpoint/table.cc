#include "runtime/checkpoint/table.h"

#include <cstring>
#include <vector>

#include "runtime/checkpoint/crc32c.h"

namespace kiln::checkpoint {
namespace {

constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;
constexpr size_t kFooterSize = 48;
constexpr int kRestartInterval = 16;  // LevelDB's and TF's default

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

bool GetVarint(const std::string& s, size_t* pos, size_t end, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 63 && *pos < end; shift += 7) {
    unsigned char b = static_cast<unsigned char>(s[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

std::string BuildBlock(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string block;
  std::vector<uint32_t> restarts;
  std::string last;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [key, value] = entries[i];
    size_t shared = 0;
    if (i % kRestartInterval == 0) {
      restarts.push_back(static_cast<uint32_t>(block.size()));
    } else {
      while (shared < last.size() && shared < key.size() && last[shared] == key[shared]) ++shared;
    }
    PutVarint(&block, shared);
    PutVarint(&block, key.size() - shared);
    PutVarint(&block, value.size());
    block.append(key, shared, std::string::npos);
    block += value;
    last = key;
  }
  if (restarts.empty()) restarts.push_back(0);
  for (uint32_t r : restarts) PutFixed32(&block, r);
  PutFixed32(&block, static_cast<uint32_t>(restarts.size()));
  return block;
}

// Appends block + trailer (type 0 = uncompressed, masked CRC over block and type); returns the
// block handle (offset, size without trailer).
std::pair<uint64_t, uint64_t> AppendBlock(std::string* file, const std::string& block) {
  uint64_t offset = file->size();
  *file += block;
  file->push_back('\0');
  uint32_t crc = Crc32c(block.data(), block.size());
  char type = 0;
  crc = Crc32cExtend(crc, &type, 1);
  PutFixed32(file, MaskCrc(crc));
  return {offset, block.size()};
}

std::string Handle(std::pair<uint64_t, uint64_t> h) {
  std::string s;
  PutVarint(&s, h.first);
  PutVarint(&s, h.second);
  return s;
}

Status ReadBlock(const std::string& file, uint64_t offset, uint64_t size, const std::string& name,
                 std::vector<std::pair<std::string, std::string>>* entries) {
  if (offset > file.size() || size > file.size() - offset || file.size() - offset - size < 5) {
    return DataLoss(name + ": block at " + std::to_string(offset) + " runs past the end of the file");
  }
  if (file[offset + size] != 0) return Unimplemented(name + ": compressed table blocks are not supported");
  uint32_t stored = UnmaskCrc(GetFixed32(file.data() + offset + size + 1));
  uint32_t actual = Crc32cExtend(Crc32c(file.data() + offset, size), file.data() + offset + size, 1);
  if (stored != actual) return DataLoss(name + ": checksum mismatch in the block at " + std::to_string(offset));
  if (size < 4) return DataLoss(name + ": block too small");
  uint32_t num_restarts = GetFixed32(file.data() + offset + size - 4);
  if (num_restarts == 0 || uint64_t{num_restarts} * 4 + 4 > size) return DataLoss(name + ": bad restart array");
  size_t pos = offset, end = offset + size - 4 - 4 * size_t{num_restarts};
  std::string last;
  while (pos < end) {
    uint64_t shared, unshared, value_len;
    if (!GetVarint(file, &pos, end, &shared) || !GetVarint(file, &pos, end, &unshared) ||
        !GetVarint(file, &pos, end, &value_len) || shared > last.size() || unshared > end - pos ||
        value_len > end - pos - unshared) {
      return DataLoss(name + ": corrupt entry in the block at " + std::to_string(offset));
    }
    std::string key = last.substr(0, shared) + file.substr(pos, unshared);
    pos += unshared;
    entries->emplace_back(key, file.substr(pos, value_len));
    pos += value_len;
    last = key;
  }
  return OkStatus();
}

}  // namespace

std::string BuildTable(const std::map<std::string, std::string>& entries) {
  std::string file;
  std::vector<std::pair<std::string, std::string>> data(entries.begin(), entries.end());
  auto data_handle = AppendBlock(&file, BuildBlock(data));
  auto meta_handle = AppendBlock(&file, BuildBlock({}));
  // The index maps a key >= every key of the data block to its handle; the last key serves.
  std::string last_key = data.empty() ? "" : data.back().first;
  auto index_handle = AppendBlock(&file, BuildBlock({{last_key, Handle(data_handle)}}));
  std::string footer = Handle(meta_handle) + Handle(index_handle);
  footer.resize(40, '\0');
  PutFixed32(&footer, static_cast<uint32_t>(kTableMagic & 0xffffffffu));
  PutFixed32(&footer, static_cast<uint32_t>(kTableMagic >> 32));
  return file + footer;
}

StatusOr<std::map<std::string, std::string>> ParseTable(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kFooterSize) return DataLoss(name + ": too short to be a checkpoint index");
  const char* footer = bytes.data() + bytes.size() - kFooterSize;
  uint64_t magic = GetFixed32(footer + 40) | (uint64_t{GetFixed32(footer + 44)} << 32);
  if (magic != kTableMagic) return DataLoss(name + ": not a checkpoint index (bad table magic)");
  std::string f(footer, 40);
  size_t pos = 0;
  uint64_t meta_off, meta_size, index_off, index_size;
  if (!GetVarint(f, &pos, 40, &meta_off) || !GetVarint(f, &pos, 40, &meta_size) || !GetVarint(f, &pos, 40, &index_off) ||
      !GetVarint(f, &pos, 40, &index_size)) {
    return DataLoss(name + ": corrupt table footer");
  }
  std::vector<std::pair<std::string, std::string>> index;
  KILN_RETURN_IF_ERROR(ReadBlock(bytes, index_off, index_size, name, &index));
  std::map<std::string, std::string> entries;
  for (const auto& [key, handle] : index) {
    size_t p = 0;
    uint64_t off, size;
    if (!GetVarint(handle, &p, handle.size(), &off) || !GetVarint(handle, &p, handle.size(), &size)) {
      return DataLoss(name + ": corrupt block handle in the index");
    }
    std::vector<std::pair<std::string, std::string>> block;
    KILN_RETURN_IF_ERROR(ReadBlock(bytes, off, size, name, &block));
    for (auto& [k, v] : block) entries[k] = std::move(v);
  }
  return entries;
}

}  // namespace kiln::checkpoint
