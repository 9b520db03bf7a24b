// Philox4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC'11): the
// counter-based generator TF's random ops use. Counter-based means a (key, counter) pair fully
// determines the output, so random ops are reproducible for fixed seeds and can be split across
// threads by counter ranges.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace kiln {

class Philox4x32 {
 public:
  Philox4x32(uint64_t key, uint64_t counter) : key_{static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)} {
    ctr_ = {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0, 0};
  }

  // Four fresh 32-bit words; advances the counter.
  std::array<uint32_t, 4> Next() {
    std::array<uint32_t, 4> c = ctr_;
    std::array<uint32_t, 2> k = key_;
    for (int round = 0; round < 10; ++round) {
      uint64_t p0 = uint64_t{0xD2511F53} * c[0];
      uint64_t p1 = uint64_t{0xCD9E8D57} * c[2];
      c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
      k[0] += 0x9E3779B9;
      k[1] += 0xBB67AE85;
    }
    if (++ctr_[0] == 0 && ++ctr_[1] == 0) ++ctr_[2];
    return c;
  }

  // Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
  static float ToFloat(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }
  static double ToDouble(uint32_t hi, uint32_t lo) {
    return static_cast<double>(((uint64_t{hi} << 32) | lo) >> 11) * (1.0 / 9007199254740992.0);
  }

 private:
  std::array<uint32_t, 2> key_;
  std::array<uint32_t, 4> ctr_;
};

}  // namespace kiln
