// Session: runs a graph like tf.Session. Owns the variables and an Executable cache keyed by
// (fetches, targets, fed tensors with dtypes and shapes): the first run of a signature compiles,
// later runs reuse the plan.
//
//   tf::Session sess(g);
//   sess.run(tf::global_variables_initializer());
//   sess.run({train_op}, {{x, batch_xs}, {y_, batch_ys}});
//   float acc = sess.run(accuracy, {{x, test_xs}, {y_, test_ys}}).value().scalar<float>();
#pragma once

#include <concepts>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"
#include "passes/pipeline.h"
#include "runtime/executable.h"
#include "runtime/variable_store.h"

namespace kiln {

// A fed value for a tensor: `{x, batch_xs}`.
using FeedDict = std::vector<std::pair<Output, Tensor>>;

// What sess.run can fetch: a tensor (value returned), an operation (run, empty tensor returned),
// or a name ("loss:0" is a tensor, "train" an operation), as TF1 accepts.
struct Fetch {
  Output tensor;
  Node* op = nullptr;
  std::string name;

  template <typename T>
    requires std::convertible_to<T, Output>
  Fetch(const T& t) : tensor(static_cast<Output>(t)) {}  // NOLINT: tensors and variables
  Fetch(const Operation& o) : op(o.node) {}                // NOLINT
  Fetch(std::string n) : name(std::move(n)) {}             // NOLINT
  Fetch(const char* n) : name(n) {}                        // NOLINT
};

struct SessionOptions {
  // How each run signature is compiled: the graph passes, reference kernels only (KILN_JIT=0), the
  // thread pool.
  CompileOptions compile;
};

class Session {
 public:
  Session();  // on the default graph
  explicit Session(Graph& graph, SessionOptions options = {});

  // The TF C++ signature: fetched tensor values in `outputs`, targets run for their effects.
  Status Run(const FeedDict& feeds, const std::vector<Output>& fetches, const std::vector<Operation>& targets,
             std::vector<Tensor>* outputs);

  // The same with TF's options and metadata: with trace_level kFullTrace, `metadata->step_stats`
  // gets a timing per executed step (runtime/run_metadata.h). `metadata` may be null.
  Status Run(const RunOptions& options, const FeedDict& feeds, const std::vector<Output>& fetches,
             const std::vector<Operation>& targets, std::vector<Tensor>* outputs, RunMetadata* metadata);

  // sess.run([a, train_op], feed_dict): one tensor per fetch (empty for operations).
  StatusOr<std::vector<Tensor>> run(const std::vector<Fetch>& fetches, const FeedDict& feeds = {});
  // sess.run(loss, feed_dict): the value of one tensor.
  template <typename T>
    requires std::convertible_to<T, Output>
  StatusOr<Tensor> run(const T& fetch, const FeedDict& feeds = {}) {
    return RunOne(static_cast<Output>(fetch), feeds);
  }
  // sess.run(train_op, feed_dict): runs an operation.
  Status run(const Operation& target, const FeedDict& feeds = {});

  Graph& graph() { return *graph_; }
  VariableStore& variables() { return variables_; }
  // How many distinct run signatures have been compiled (for tests of the cache).
  int num_compiled() const { return static_cast<int>(cache_.size()); }

  // The most recent compile of a new run signature, for `kiln bench` (compile time, and the cost
  // model on the graph that runs): the wall time of Executable::Compile, and the graph it compiled
  // (specialized to the fed shapes; owned by the cached Executable, so valid while the Session
  // lives). `graph` is null before the first compile.
  struct CompileStats {
    double seconds = 0;
    const Graph* graph = nullptr;
  };
  const CompileStats& last_compile() const { return last_compile_; }

 private:
  StatusOr<Tensor> RunOne(const Output& fetch, const FeedDict& feeds);
  StatusOr<Executable*> GetExecutable(const FeedDict& feeds, const std::vector<Output>& fetches,
                                      const std::vector<Node*>& targets);

  Graph* graph_;
  SessionOptions options_;
  VariableStore variables_;
  std::map<std::string, RngState> rng_states_;
  // Keyed by the run signature as numbers (feed ids, index, dtype, dims; fetch and target ids), so
  // finding a compiled step allocates nothing.
  std::map<std::vector<int64_t>, std::unique_ptr<Executable>> cache_;
  CompileStats last_compile_;
  // Per-run scratch reused across runs (a warm Run allocates nothing but the fetched values).
  std::vector<int64_t> key_;
  std::vector<Node*> target_nodes_;
  std::vector<Tensor> feed_values_;
  std::mutex mu_;  // one run at a time for now; executables hold per-run scratch
};

}  // namespace kiln
