// Single-thread throughput of the direct convolution kernels (runtime/kernels/direct_conv.h) on
// the seed nets' layer shapes: forward, stride-1 input gradient and filter gradient, GFLOP/s (2
// flops per multiply-add of the convolution itself). One thread, so a kernel change can be measured
// without the noise of a whole training step on a shared 2-vCPU machine. Results go in
// bench/README.md.
//
//   build/bench/direct_conv_bench [--quick] [LAYER...]   (LAYER: a prefix of the names below)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench/median_seconds.h"
#include "graph/ops/conv_geometry.h"
#include "runtime/kernels/direct_conv.h"

namespace kiln {
namespace {

double MedianSeconds(const std::function<void()>& fn, bool quick) {
  return quick ? bench::MedianSeconds(fn, std::chrono::milliseconds(20), 3)
               : bench::MedianSeconds(fn, std::chrono::milliseconds(200), 7);
}

struct Layer {
  const char* name;
  std::vector<int64_t> input, filter;
  int64_t stride;
  const char* padding;
};

std::vector<float> Random(int64_t n, std::mt19937* rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(*rng);
  return v;
}

int Run(bool quick, const std::vector<std::string>& only) {
  if (!direct_conv::Available()) {
    std::printf("no AVX2+FMA on this host: the direct kernels do not run\n");
    return 0;
  }
  const std::vector<Layer> layers = {
      {"cnn_tutorial conv1", {64, 28, 28, 1}, {5, 5, 1, 32}, 1, "SAME"},
      {"cnn_tutorial conv2", {64, 14, 14, 32}, {5, 5, 32, 64}, 1, "SAME"},
      {"convnet3 conv1", {64, 32, 32, 1}, {5, 5, 1, 32}, 1, "VALID"},
      {"convnet3 conv2", {64, 30, 30, 32}, {3, 3, 32, 16}, 1, "VALID"},
      {"cnn conv2", {32, 13, 13, 32}, {3, 3, 32, 64}, 1, "VALID"},
      {"conv_bn conv1", {128, 28, 28, 1}, {3, 3, 1, 4}, 1, "SAME"},
      {"conv_bn conv2", {128, 28, 28, 4}, {3, 3, 4, 8}, 1, "SAME"},
      {"conv_bn conv3 s2", {128, 28, 28, 8}, {3, 3, 8, 12}, 2, "SAME"},
      {"conv_bn conv4", {128, 14, 14, 12}, {3, 3, 12, 16}, 1, "SAME"},
      {"conv_bn conv5", {128, 14, 14, 16}, {3, 3, 16, 20}, 1, "SAME"},
  };
  std::mt19937 rng(1);
  std::printf("%-20s %10s %10s %10s   (GFLOP/s, 1 thread)\n", "layer", "forward", "input_grad", "filter_grad");
  for (const Layer& layer : layers) {
    if (!only.empty() && std::none_of(only.begin(), only.end(), [&](const std::string& prefix) {
          return std::string(layer.name).rfind(prefix, 0) == 0;
        })) {
      continue;
    }
    auto dims = MakeConvDims(layer.input, layer.filter, {1, layer.stride, layer.stride, 1}, layer.padding);
    if (!dims.ok()) return 1;
    const ConvDims d = *dims;
    const double flops = 2.0 * d.patches() * d.patch_size() * d.o;
    const std::vector<float> input = Random(d.n * d.h * d.w * d.c, &rng), filter = Random(d.patch_size() * d.o, &rng),
                             dy = Random(d.patches() * d.o, &rng);
    std::vector<float> out(d.patches() * d.o), dx(input.size());

    std::vector<float> packed(d.patch_size() * direct_conv::PackedWidth(d.o) + 64);
    std::vector<float> scratch(direct_conv::ForwardScratchSize(d) + 64, 0.0f);
    direct_conv::PackFilter(d, filter.data(), packed.data());
    const double forward = flops / MedianSeconds([&] {
      direct_conv::Forward(d, input.data(), packed.data(), scratch.data(), out.data(), 0, d.n * d.oh);
    }, quick) * 1e-9;

    const ConvDims t = direct_conv::InputGradientAsConvolution(d);
    std::vector<float> flipped(t.patch_size() * direct_conv::PackedWidth(t.o) + 64);
    std::vector<float> t_scratch(direct_conv::ForwardScratchSize(t) + 64, 0.0f);
    direct_conv::PackFlippedTransposedFilter(d, filter.data(), flipped.data());
    const double input_grad = flops / MedianSeconds([&] {
      direct_conv::Forward(t, dy.data(), flipped.data(), t_scratch.data(), dx.data(), 0, t.n * t.oh);
    }, quick) * 1e-9;

    double filter_grad = 0;
    if (direct_conv::FilterGradientAvailable(d)) {
      std::vector<float> partial(direct_conv::FilterGradientPartialSize(d), 0.0f);
      std::vector<float> fg_scratch(direct_conv::FilterGradientScratchSize(d), 0.0f);
      filter_grad = flops / MedianSeconds([&] {
        direct_conv::FilterGradient(d, input.data(), dy.data(), fg_scratch.data(), partial.data(), 0, d.n);
      }, quick) * 1e-9;
    }
    std::printf("%-20s %10.1f %10.1f %10.1f\n", layer.name, forward, input_grad, filter_grad);
  }
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      only.push_back(argv[i]);
    }
  }
  return kiln::Run(quick, only);
}
