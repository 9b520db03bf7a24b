#include "tools/bench_profile.h"

#include <algorithm>
#include <map>
#include <string>

namespace kiln::cli {

void PrintStepProfile(std::FILE* out, const char* model, const std::vector<NodeExecStats>& totals, int64_t runs,
                      size_t top) {
  if (runs <= 0) return;
  double total_ms = 0;
  for (const NodeExecStats& s : totals) total_ms += static_cast<double>(s.duration_nanos) * 1e-6 / runs;
  std::fprintf(out, "profile model=%s steps=%zu traced_ms_per_run=%.3f\n", model, totals.size(), total_ms);
  auto share = [&](double ms) { return total_ms > 0 ? 100.0 * ms / total_ms : 0.0; };

  std::vector<const NodeExecStats*> slowest;
  for (const NodeExecStats& s : totals) slowest.push_back(&s);
  std::stable_sort(slowest.begin(), slowest.end(), [](const NodeExecStats* a, const NodeExecStats* b) {
    return a->duration_nanos > b->duration_nanos;
  });
  if (slowest.size() > top) slowest.resize(top);
  for (const NodeExecStats* s : slowest) {
    double ms = static_cast<double>(s->duration_nanos) * 1e-6 / runs;
    std::fprintf(out, "  %5.1f%% %8.3f ms  %-22s %-32s %-18s %s\n", share(ms), ms, s->op.c_str(), s->kernel.c_str(),
                 s->output_shape.c_str(), s->node_name.c_str());
  }

  struct OpTotal {
    double ms = 0;
    int steps = 0;
  };
  std::map<std::string, OpTotal> by_op;
  for (const NodeExecStats& s : totals) {
    // A fused cluster is named by its last op, but stands for all of its ops: group clusters apart.
    std::string key = s.kernel.rfind("fused", 0) == 0 ? "fused cluster" : s.op;
    by_op[key].ms += static_cast<double>(s.duration_nanos) * 1e-6 / runs;
    ++by_op[key].steps;
  }
  std::vector<std::pair<std::string, OpTotal>> ops(by_op.begin(), by_op.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  std::fprintf(out, "  by op:\n");
  for (const auto& [op, t] : ops) {
    if (share(t.ms) < 0.5) break;
    std::fprintf(out, "  %5.1f%% %8.3f ms  %s (%d step%s)\n", share(t.ms), t.ms, op.c_str(), t.steps, t.steps == 1 ? "" : "s");
  }
}

}  // namespace kiln::cli
