#include <mutex>

#include "codegen/jit.h"

namespace kiln::codegen {
namespace {

struct DefaultJitState {
  std::mutex mu;
  JitOptions options;
  std::unique_ptr<Jit> jit;
  Status error;  // a failed creation is not retried: every compile would pay for it again
  bool created = false;
};

DefaultJitState& State() {
  static DefaultJitState* state = new DefaultJitState();  // never destroyed: kernels outlive statics
  return *state;
}

}  // namespace

StatusOr<Jit*> DefaultJit() {
  DefaultJitState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.created) {
    s.created = true;
    StatusOr<std::unique_ptr<Jit>> jit = Jit::Create(s.options);
    // A cache directory that cannot be created (a read-only home) costs compile time, not the run.
    if (!jit.ok() && !s.options.cache_dir.empty()) jit = Jit::Create({});
    if (jit.ok()) s.jit = std::move(*jit);
    else s.error = jit.status();
  }
  if (!s.jit) return s.error;
  return s.jit.get();
}

void SetDefaultJitOptions(const JitOptions& options) {
  DefaultJitState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.options = options;
}

}  // namespace kiln::codegen
