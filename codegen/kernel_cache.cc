#include "codegen/kernel_cache.h"

#include <filesystem>
#include <mutex>

#include "codegen/llvm_pipeline.h"
#include "graph/graphdef.h"

namespace kiln::codegen {
namespace {

constexpr uint64_t kMaxObjectBytes = uint64_t{64} << 20;  // a fused kernel's object is a few KiB

// Each file is the object followed by this tag and the first 16 hex digits of the object's SHA-256.
// Files are not synced to disk (a cold compile stored 87 kernels, fsync was most of its time), so a
// crash may leave one torn or empty; the checksum is what tells.
constexpr char kChecksumTag[] = "\nkiln-sha256:";
constexpr size_t kChecksumTagSize = sizeof(kChecksumTag) - 1;
constexpr size_t kChecksumDigits = 16;

std::string Checksum(const std::string& object) { return kChecksumTag + HexDigest(object, kChecksumDigits); }

}  // namespace

StatusOr<KernelCache> KernelCache::Open(const std::string& dir) {
  if (dir.empty()) return InvalidArgument("the kernel cache needs a directory");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir, ec)) {
    return FailedPrecondition("cannot use " + dir + " as the kernel cache directory: " +
                              (ec ? ec.message() : std::string("not a directory")));
  }
  return KernelCache(dir);
}

std::optional<std::string> KernelCache::Load(const std::string& key) const {
  const std::string path = PathFor(key);
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec || size == 0 || size > kMaxObjectBytes) return std::nullopt;
  std::string file;
  if (!ReadFileToString(path, &file).ok()) return std::nullopt;
  const size_t trailer = kChecksumTagSize + kChecksumDigits;
  if (file.size() < trailer) return std::nullopt;
  std::string object = file.substr(0, file.size() - trailer);
  if (file.compare(object.size(), trailer, Checksum(object)) != 0) return std::nullopt;
  if (object.size() < 4 || object.compare(0, 4, "\x7f" "ELF") != 0) return std::nullopt;
  return object;
}

Status KernelCache::Store(const std::string& key, const std::string& object) const {
  // WriteFileAtomically's temp name is per process; two Jits of one process storing the same key
  // at once would share it.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  return WriteFileAtomically(PathFor(key), object + Checksum(object), /*durable=*/false);
}

}  // namespace kiln::codegen
