#include "runtime/session.h"

#include <chrono>

#include "graph/builder/context.h"

namespace kiln {
namespace {

// A fed scalar bool, TF1's is_training: the executable is compiled for its value (one per value,
// so a training step and an evaluation each get their own), and the conds on it resolve when
// compiling (passes/branch_resolution.h) instead of switching at every step.
bool IsSpecializedFlag(const Tensor& v) { return v.dtype() == DT_BOOL && v.rank() == 0; }

}  // namespace

Session::Session() : Session(get_default_graph()) {}
Session::Session(Graph& graph, SessionOptions options) : graph_(&graph), options_(options) {}

StatusOr<Executable*> Session::GetExecutable(const FeedDict& feeds, const std::vector<Output>& fetches,
                                             const std::vector<Node*>& targets) {
  // Each part is prefixed by its kind and length, so distinct signatures never share a key.
  std::vector<int64_t>& key = key_;
  key.clear();
  for (const auto& [t, v] : feeds) {
    key.insert(key.end(), {-1, t.node->id(), t.index, static_cast<int64_t>(v.dtype()), v.rank()});
    key.insert(key.end(), v.dims().begin(), v.dims().end());
    if (IsSpecializedFlag(v)) key.push_back(v.scalar<bool>() ? 1 : 0);
  }
  for (const Output& f : fetches) key.insert(key.end(), {-2, f.node->id(), f.index});
  for (Node* t : targets) key.insert(key.end(), {-3, t->id()});
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second.get();
  std::vector<FeedSpec> specs;
  for (const auto& [t, v] : feeds) {
    specs.push_back({t, v.dtype(), v.dims()});
    if (IsSpecializedFlag(v)) specs.back().known_bool = v.scalar<bool>();
  }
  auto start = std::chrono::steady_clock::now();
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Executable> exe,
                        Executable::Compile(specs, fetches, targets, &variables_, &rng_states_, options_.compile));
  last_compile_ = {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), &exe->graph()};
  Executable* raw = exe.get();
  cache_[key] = std::move(exe);
  return raw;
}

Status Session::Run(const FeedDict& feeds, const std::vector<Output>& fetches, const std::vector<Operation>& targets,
                    std::vector<Tensor>* outputs) {
  return Run(RunOptions(), feeds, fetches, targets, outputs, nullptr);
}

Status Session::Run(const RunOptions& options, const FeedDict& feeds, const std::vector<Output>& fetches,
                    const std::vector<Operation>& targets, std::vector<Tensor>* outputs, RunMetadata* metadata) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!graph_->build_status().ok()) {
    return graph_->build_status().WithContext("the graph has an error from when it was built");
  }
  for (const auto& [t, v] : feeds) {
    if (!t) return InvalidArgument("feed_dict has a null tensor key (an earlier error?)");
    if (t.graph() != graph_) return InvalidArgument("Tensor " + t.name() + " fed in feed_dict is not an element of this graph.");
    if (!v.valid()) return InvalidArgument("the value fed for " + t.name() + " is not a valid tensor");
  }
  for (const Output& f : fetches) {
    if (!f) return InvalidArgument("Fetch argument is null (an earlier error while building the graph?)");
    if (f.graph() != graph_) return InvalidArgument("Fetch " + f.name() + " is not an element of this graph.");
  }
  std::vector<Node*>& target_nodes = target_nodes_;
  target_nodes.clear();
  for (const Operation& t : targets) {
    if (!t) return InvalidArgument("Fetch argument is a null operation (an earlier error while building the graph?)");
    if (t.node->graph() != graph_) return InvalidArgument("Operation " + t.name() + " is not an element of this graph.");
    target_nodes.push_back(t.node);
  }
  KILN_ASSIGN_OR_RETURN(Executable * exe, GetExecutable(feeds, fetches, target_nodes));
  feed_values_.resize(feeds.size());
  // Copy-assigning a tensor reuses the held one's dims storage, so this allocates nothing once warm
  // (the fed buffers stay referenced until the next run).
  for (size_t i = 0; i < feeds.size(); ++i) feed_values_[i] = feeds[i].second;
  bool trace = metadata && options.trace_level == RunOptions::TraceLevel::kFullTrace;
  if (metadata) metadata->step_stats.clear();
  return exe->Run(feed_values_, outputs, trace ? metadata : nullptr);
}

StatusOr<std::vector<Tensor>> Session::run(const std::vector<Fetch>& fetches, const FeedDict& feeds) {
  std::vector<Output> tensors;
  std::vector<Operation> targets;
  std::vector<int> position;  // index into `tensors` per fetch, -1 for operations
  for (const Fetch& f : fetches) {
    if (!f.name.empty()) {
      if (f.name.find(':') == std::string::npos) {
        Node* n = graph_->FindNode(f.name);
        if (!n) return NotFound("Fetch argument '" + f.name + "' cannot be interpreted as a Tensor or Operation: no node named '" + f.name + "' in the graph.");
        targets.push_back(n);
        position.push_back(-1);
        continue;
      }
      KILN_ASSIGN_OR_RETURN(Output o, graph_->FindOutput(f.name));
      position.push_back(static_cast<int>(tensors.size()));
      tensors.push_back(o);
    } else if (f.op) {
      targets.push_back(f.op);
      position.push_back(-1);
    } else {
      if (!f.tensor) return InvalidArgument("Fetch argument is null (an earlier error while building the graph?)");
      position.push_back(static_cast<int>(tensors.size()));
      tensors.push_back(f.tensor);
    }
  }
  std::vector<Tensor> values;
  KILN_RETURN_IF_ERROR(Run(feeds, tensors, targets, &values));
  std::vector<Tensor> result;
  for (int p : position) result.push_back(p < 0 ? Tensor() : values[p]);
  return result;
}

StatusOr<Tensor> Session::RunOne(const Output& fetch, const FeedDict& feeds) {
  std::vector<Tensor> values;
  KILN_RETURN_IF_ERROR(Run(feeds, {fetch}, {}, &values));
  return values[0];
}

Status Session::run(const Operation& target, const FeedDict& feeds) {
  std::vector<Tensor> values;
  return Run(feeds, {}, {target}, &values);
}

}  // namespace kiln
