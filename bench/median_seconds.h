// The timing loop of the component benchmarks (bench/*.cc): warm up, then the median seconds per
// call over several samples, each repeating the call for at least a minimum time.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace kiln::bench {

// Median seconds per call of `fn` over `samples` samples of at least `sample_time` each, after
// `sample_time` of warm-up calls.
inline double MedianSeconds(const std::function<void()>& fn, std::chrono::milliseconds sample_time, int samples) {
  using Clock = std::chrono::steady_clock;
  for (auto end = Clock::now() + sample_time; Clock::now() < end;) fn();
  std::vector<double> per_call;
  for (int s = 0; s < samples; ++s) {
    int64_t reps = 0;
    auto start = Clock::now(), now = start;
    do {
      fn();
      ++reps;
      now = Clock::now();
    } while (now - start < sample_time);
    per_call.push_back(std::chrono::duration<double>(now - start).count() / reps);
  }
  std::nth_element(per_call.begin(), per_call.begin() + samples / 2, per_call.end());
  return per_call[samples / 2];
}

}  // namespace kiln::bench
