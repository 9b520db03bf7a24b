// Single-thread throughput of JIT-compiled elementwise kernels (codegen/elementwise_kernel.h)
// against the ops' reference kernels, on 1M-element tensors (4 MiB of float: L3-resident on most
// machines, as activations between layers are): ns per element and GB/s of tensor traffic (inputs
// read plus outputs written), and the kernel's compile time (no disk cache). Results with date and
// machine go in bench/README.md.
//
//   build/bench/elementwise_bench [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench/median_seconds.h"
#include "codegen/elementwise_kernel.h"
#include "codegen/jit.h"
#include "graph/builder/kiln.h"
#include "graph/elementwise_lowering.h"
#include "graph/kernel_context.h"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

double MedianSeconds(const std::function<void()>& fn, bool quick) {
  return quick ? bench::MedianSeconds(fn, std::chrono::milliseconds(5), 3)
               : bench::MedianSeconds(fn, std::chrono::milliseconds(100), 9);
}

struct Case {
  std::string name;
  // Builds the subgraph on placeholders (created here) and returns its output.
  std::function<Output(const std::vector<Output>& inputs)> build;
  std::vector<std::vector<int64_t>> input_shapes;
  double lo = -4, hi = 4;
};

// The subgraph's nodes between the placeholders and `out`, producers first.
std::vector<const Node*> NodesOf(const std::vector<Output>& inputs, const Output& out) {
  std::vector<const Node*> nodes, stack = {out.node};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (std::find_if(inputs.begin(), inputs.end(), [&](const Output& o) { return o.node == n; }) != inputs.end()) continue;
    if (std::find(nodes.begin(), nodes.end(), n) != nodes.end()) continue;
    nodes.push_back(n);
    for (const Output& in : n->inputs()) stack.push_back(in.node);
  }
  std::reverse(nodes.begin(), nodes.end());
  return nodes;
}

int Run(bool quick) {
  auto jit = codegen::Jit::Create();
  if (!jit.ok()) {
    std::fprintf(stderr, "%s\n", jit.status().ToString().c_str());
    return 1;
  }
  std::printf("cpu: llvm %s, %d-bit vectors; 1 thread, float\n", (*jit)->cpu().name.c_str(), (*jit)->cpu().vector_bits);
  const int64_t n = 1 << 20, rows = 1024, cols = n / rows;
  const std::vector<Case> cases = {
      {"relu", [](const std::vector<Output>& in) { return nn::relu(in[0]); }, {{n}}},
      {"exp", [](const std::vector<Output>& in) { return exp(in[0]); }, {{n}}, -80, 80},
      {"log", [](const std::vector<Output>& in) { return log(in[0]); }, {{n}}, 0, 100},
      {"tanh", [](const std::vector<Output>& in) { return nn::tanh(in[0]); }, {{n}}},
      {"sigmoid", [](const std::vector<Output>& in) { return nn::sigmoid(in[0]); }, {{n}}},
      {"bias_add+relu", [](const std::vector<Output>& in) { return nn::relu(nn::bias_add(in[0], in[1])); }, {{rows, cols}, {cols}}},
      {"add", [](const std::vector<Output>& in) { return in[0] + in[1]; }, {{n}, {n}}},
  };
  std::mt19937 rng(1);
  for (const Case& c : cases) {
    Graph g;
    DefaultGraphGuard guard{g};
    std::vector<Output> inputs;
    std::vector<Tensor> values;
    int64_t bytes = 0;
    for (size_t i = 0; i < c.input_shapes.size(); ++i) {
      inputs.push_back(placeholder(DT_FLOAT, Shape(c.input_shapes[i]), "x" + std::to_string(i)));
      values.emplace_back(DT_FLOAT, c.input_shapes[i]);
      std::uniform_real_distribution<float> u(static_cast<float>(c.lo), static_cast<float>(c.hi));
      for (int64_t e = 0; e < values.back().num_elements(); ++e) values.back().data<float>()[e] = u(rng);
      bytes += values.back().num_bytes();
    }
    Output out = c.build(inputs);
    std::vector<const Node*> nodes = NodesOf(inputs, out);
    // Reference: each node's kernel in turn on preallocated tensors, as the runtime runs them today.
    std::vector<std::vector<Tensor>> node_inputs;
    std::vector<Tensor> node_outputs;
    std::map<const Node*, Tensor> produced;
    for (size_t i = 0; i < inputs.size(); ++i) produced[inputs[i].node] = values[i];
    for (const Node* node : nodes) {
      std::vector<Tensor> ins;
      for (const Output& o : node->inputs()) ins.push_back(produced.at(o.node));
      Tensor result(node->output_type(0).dtype, node->output_type(0).shape.dims());
      produced[node] = result;
      node_inputs.push_back(ins);
      node_outputs.push_back(result);
    }
    auto reference = [&] {
      for (size_t k = 0; k < nodes.size(); ++k) {
        KernelContext ctx(*nodes[k], node_inputs[k], {node_outputs[k]});
        Status s = nodes[k]->def().kernel(ctx);
        if (!s.ok()) std::abort();
      }
    };
    // JIT: the whole subgraph as one cluster.
    StatusOr<ElementwiseExpr> expr = LowerElementwiseCluster(inputs, nodes, {out});
    if (!expr.ok()) {
      std::fprintf(stderr, "%s: %s\n", c.name.c_str(), expr.status().ToString().c_str());
      return 1;
    }
    codegen::ElementwiseCluster cluster{c.name, *expr, out.shape().dims(), c.input_shapes};
    const auto compile_start = Clock::now();
    StatusOr<codegen::CompiledElementwise> k = codegen::CompileElementwise(**jit, cluster);
    const double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - compile_start).count();
    if (!k.ok()) {
      std::fprintf(stderr, "%s: %s\n", c.name.c_str(), k.status().ToString().c_str());
      return 1;
    }
    Tensor y(DT_FLOAT, out.shape().dims());
    std::vector<void*> buffers;
    for (const Tensor& v : values) buffers.push_back(v.raw_data());
    buffers.push_back(y.raw_data());
    int64_t sizes[] = {0, k->num_elements, k->range_size};
    auto jitted = [&] { k->fn(nullptr, buffers.data(), sizes); };
    bytes += y.num_bytes();
    const double t_ref = MedianSeconds(reference, quick), t_jit = MedianSeconds(jitted, quick);
    std::printf("%-14s reference %6.3f ns/elem %6.1f GB/s | jit %6.3f ns/elem %6.1f GB/s | %5.1fx | compile %5.1f ms (%zu node%s)\n",
                c.name.c_str(), t_ref / n * 1e9, bytes / t_ref * 1e-9, t_jit / n * 1e9, bytes / t_jit * 1e-9,
                t_ref / t_jit, compile_ms, nodes.size(), nodes.size() == 1 ? "" : "s");
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  return kiln::Run(quick);
}
