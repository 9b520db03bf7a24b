// What sess.run can be asked to record, as TF1's
//   run_options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
//   sess.run(train_op, feed_dict, options=run_options, run_metadata=run_metadata)
// after which run_metadata.step_stats holds one record per executed kernel with its start and
// duration. Kiln's records name the step's node, its op, the kernel that ran it (a JIT'd fused
// cluster, a library kernel, or the reference kernel) and its output shape, so a slow step can be
// traced to a layer. Tracing costs a clock read per step and the records' strings; untraced runs
// are unaffected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

struct RunOptions {
  enum class TraceLevel { kNoTrace, kFullTrace };
  TraceLevel trace_level = TraceLevel::kNoTrace;
};

struct NodeExecStats {
  std::string node_name;  // for a fused cluster, its last node
  std::string op;
  std::string kernel;        // "fused (N ops)", "library <name>" or "reference"
  std::string output_shape;  // the first output's shape, as [128,28,28,4]
  int64_t start_nanos = 0;   // since the start of the run
  int64_t duration_nanos = 0;
};

struct RunMetadata {
  std::vector<NodeExecStats> step_stats;  // in execution order
};

}  // namespace kiln
