// CRC-32C (Castagnoli), as TensorFlow's checkpoints, TFRecords and event files use it, with TF's
// masking (rotate right 15, add 0xa282ead8) for CRCs stored next to the data they cover.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kiln::checkpoint {

uint32_t Crc32c(const void* data, size_t size, uint32_t init = 0);
inline uint32_t Crc32c(std::string_view s) { return Crc32c(s.data(), s.size()); }
// Continues a CRC over more bytes (crc32c(a + b) == Extend(crc32c(a), b)).
inline uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size) { return Crc32c(data, size, crc); }
uint32_t MaskCrc(uint32_t crc);
uint32_t UnmaskCrc(uint32_t masked);

}  // namespace kiln::checkpoint
