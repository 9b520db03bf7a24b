#include "runtime/executable.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>

#include "codegen/jit.h"
#include "runtime/arena_memory.h"
#include "runtime/buffer_plan.h"
#include "runtime/fused_step.h"
#include "runtime/kernels/library_kernel.h"
#include "runtime/thread_pool.h"
#include "runtime/update_group.h"

namespace kiln {
namespace {

// Per input slot of a node: whether its OpDef argument is a ref (an l-value such as Assign's var).
std::vector<bool> RefInputMask(const Node& node) {
  std::vector<bool> mask;
  for (const ArgDef& arg : node.def().inputs) {
    int count = arg.number_attr.empty() ? 1 : static_cast<int>(node.attr<int64_t>(arg.number_attr));
    for (int i = 0; i < count; ++i) mask.push_back(arg.is_ref);
  }
  return mask;
}

// A fetched value: a new tensor the caller owns, copied from the slot's buffer (the arena is reused
// by the next run).
Tensor CopyOut(const TensorType& type, const void* data) {
  if (type.dtype == DT_STRING) return Tensor::Wrap(type.dtype, type.shape.dims(), const_cast<void*>(data)).Clone();
  Tensor out(type.dtype, type.shape.dims());
  if (out.num_bytes() > 0) std::memcpy(out.raw_data(), data, out.num_bytes());
  return out;
}

// KILN_JIT=0 in the environment: reference kernels for every executable (see CompileOptions).
bool JitDisabledByEnvironment() {
  const char* value = std::getenv("KILN_JIT");
  return value && std::string(value) == "0";
}

}  // namespace

StatusOr<std::unique_ptr<Executable>> Executable::Compile(const std::vector<FeedSpec>& feeds,
                                                          const std::vector<Output>& fetches,
                                                          const std::vector<Node*>& targets, VariableStore* variables,
                                                          std::map<std::string, RngState>* rng_states,
                                                          const CompileOptions& options) {
  std::unique_ptr<Executable> exe(new Executable());
  CompileOptions effective = options;
  if (JitDisabledByEnvironment()) effective.reference_kernels_only = true;
  if (!effective.reference_kernels_only && !effective.thread_pool) effective.thread_pool = DefaultThreadPool();
  KILN_ASSIGN_OR_RETURN(exe->spec_, SpecializeForRun(feeds, fetches, targets, effective.graph_passes));
  KILN_RETURN_IF_ERROR(exe->BuildSlots(variables));
  KILN_RETURN_IF_ERROR(exe->BuildSteps(rng_states, effective));
  exe->BuildLiveness();
  KILN_RETURN_IF_ERROR(exe->PlanMemory());
  for (const Output& f : exe->spec_.fetches) exe->fetch_slots_.push_back(exe->slot_of_.at({f.node, f.index}));
  return exe;
}

Status Executable::BuildSlots(VariableStore* variables) {
  std::map<const Node*, int> feed_index;
  for (size_t i = 0; i < spec_.feed_nodes.size(); ++i) feed_index[spec_.feed_nodes[i]] = static_cast<int>(i);
  for (Node* n : spec_.graph->nodes()) {
    std::vector<bool> ref_mask = RefInputMask(*n);
    for (int o = 0; o < n->num_outputs(); ++o) {
      Slot slot;
      slot.type = n->output_type(o);
      if (auto it = feed_index.find(n); it != feed_index.end()) {
        slot.kind = SlotKind::kFeed;
        slot.feed_index = it->second;
      } else if (slot.type.is_ref) {
        // A ref output aliases the op's first ref input (Assign returns its variable); an op with
        // no ref input (VariableV2) names the variable itself.
        slot.kind = SlotKind::kVariable;
        for (int i = 0; i < n->num_inputs() && !slot.var; ++i) {
          if (ref_mask[i]) slot.var = slots_[slot_of_.at({n->input(i).node, n->input(i).index})].var;
        }
        if (!slot.var) {
          std::string name = n->name();
          if (const AttrValue* shared = n->FindAttr("shared_name"); shared && !std::get<std::string>(*shared).empty()) {
            name = std::get<std::string>(*shared);
          }
          KILN_ASSIGN_OR_RETURN(slot.var, variables->GetOrCreate(name, slot.type.dtype, slot.type.shape));
        }
      } else if (n->def().forwards_ref_input && o == 0 && n->num_inputs() > 0 &&
                 slots_[slot_of_.at({n->input(0).node, n->input(0).index})].kind == SlotKind::kVariable) {
        // A read of a variable (TF1's `W/read`): the variable's own storage, not a copy.
        slot.kind = SlotKind::kVariable;
        slot.var = slots_[slot_of_.at({n->input(0).node, n->input(0).index})].var;
        slot.reader = n;
      } else if (const Tensor* value = n->known_value(o); value && !n->def().is_stateful) {
        slot.kind = SlotKind::kConstant;
        slot.storage = *value;
      } else {
        KILN_ASSIGN_OR_RETURN(slot, PlanBuffer(*n, o, slot.type));
      }
      slot_of_[{n, o}] = static_cast<int>(slots_.size());
      slots_.push_back(std::move(slot));
    }
  }
  return OkStatus();
}

StatusOr<Executable::Slot> Executable::PlanBuffer(const Node& n, int o, TensorType type) {
  Slot slot;
  slot.type = std::move(type);
  if (!slot.type.shape.IsFullyDefined()) {
    return InvalidArgument("cannot plan output " + std::to_string(o) + " of node " + n.DebugName() + ": its shape " +
                           slot.type.shape.ToString() + " is not known from the fed shapes" + InputShapesSuffix(n));
  }
  if (o == 0 && n.num_inputs() > 0 && n.def().shares_input_buffer) {
    // A view of input 0, unless that is a variable: its value may change in place later in the step,
    // and a Reshape's readers must see the value it had when the Reshape ran.
    int in = slot_of_.at({n.input(0).node, n.input(0).index});
    if (slots_[in].kind != SlotKind::kVariable && slots_[in].type.dtype == slot.type.dtype) {
      slot.kind = SlotKind::kAlias;
      slot.alias_of = in;
      return slot;
    }
  }
  ControlFlowKind flow = n.def().control_flow;
  if ((flow == ControlFlowKind::kSwitch || (flow == ControlFlowKind::kMerge && o == 0)) && slot.type.dtype != DT_STRING) {
    slot.kind = SlotKind::kForwarded;
    return slot;
  }
  // Strings own std::string objects and keep a buffer of their own; every other buffer gets its
  // place in the arena from PlanMemory once the steps say when it is alive.
  if (slot.type.dtype == DT_STRING) {
    KILN_ASSIGN_OR_RETURN(slot.storage, Tensor::Make(slot.type.dtype, slot.type.shape.dims()));
  }
  return slot;
}

bool Executable::InArena(const Slot& slot) { return slot.kind == SlotKind::kBuffer && slot.type.dtype != DT_STRING; }

Status Executable::PlanMemory() {
  // Per slot, the arena buffers its data may live in: its own, the one a view renames, or (Switch
  // and Merge forwarding) any of the buffers the op may pass on in a run.
  std::vector<const Node*> node_of(slots_.size(), nullptr);
  for (const auto& [key, s] : slot_of_) node_of[s] = key.first;
  std::vector<std::vector<int>> roots(slots_.size());
  for (size_t s = 0; s < slots_.size(); ++s) {
    const Slot& slot = slots_[s];
    if (InArena(slot)) {
      roots[s] = {static_cast<int>(s)};
    } else if (slot.kind == SlotKind::kAlias) {
      roots[s] = roots[slot.alias_of];
    } else if (slot.kind == SlotKind::kForwarded) {
      const Node* n = node_of[s];
      int sources = n->def().control_flow == ControlFlowKind::kSwitch ? 1 : n->num_inputs();
      for (int i = 0; i < sources; ++i) {
        const std::vector<int>& r = roots[slot_of_.at({n->input(i).node, n->input(i).index})];
        roots[s].insert(roots[s].end(), r.begin(), r.end());
      }
    }
  }
  std::vector<BufferLifetime> lifetimes(slots_.size());
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (!InArena(slots_[s])) continue;
    lifetimes[s].bytes = slots_[s].type.shape.num_elements() * static_cast<int64_t>(DataTypeSize(slots_[s].type.dtype));
    lifetimes[s].first_step = static_cast<int>(steps_.size());
  }
  auto touch = [&](int slot, int step) {
    for (int r : roots[slot]) {
      lifetimes[r].first_step = std::min(lifetimes[r].first_step, step);
      lifetimes[r].last_step = std::max(lifetimes[r].last_step, step);
    }
  };
  for (size_t i = 0; i < steps_.size(); ++i) {
    for (int s : steps_[i].operands) touch(s, static_cast<int>(i));
  }
  for (const Output& f : spec_.fetches) touch(slot_of_.at({f.node, f.index}), static_cast<int>(steps_.size()));

  BufferPlan plan = PlanBuffers(lifetimes);
  if (plan.arena_bytes > 0) {
    KILN_ASSIGN_OR_RETURN(arena_memory_, ArenaMemory::Map(plan.arena_bytes));
    arena_ = Tensor::Wrap(DT_UINT8, {plan.arena_bytes}, arena_memory_.data());
  }
  auto* base = static_cast<uint8_t*>(arena_.raw_data());
  memory_.arena_bytes = plan.arena_bytes;
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (!InArena(slots_[s])) continue;
    memory_.buffer_bytes += lifetimes[s].bytes;
    if (plan.offsets[s] >= 0) slots_[s].storage = Tensor::Wrap(slots_[s].type.dtype, slots_[s].type.shape.dims(), base + plan.offsets[s]);
  }
  return OkStatus();
}

Executable::~Executable() = default;

Status Executable::BuildSteps(std::map<std::string, RngState>* rng_states, const CompileOptions& options) {
  std::map<const Node*, bool> is_feed;
  for (Node* f : spec_.feed_nodes) is_feed[f] = true;
  std::vector<FusionCluster> clusters;
  std::vector<std::unique_ptr<FusedStep>> fused;
  std::map<const Node*, int> cluster_of;
  std::map<const Node*, int> step_of;  // every node with work: the step that does it
  if (!options.reference_kernels_only && options.fuse_elementwise) {
    KILN_RETURN_IF_ERROR(CompileFusedClusters(options, &clusters, &fused, &cluster_of));
  }
  for (Node* n : spec_.graph->nodes()) {  // id order is topological: the graph was built in order
    if (is_feed.count(n)) continue;
    if (auto it = cluster_of.find(n); it != cluster_of.end()) {
      // A cluster runs where its last node stands (fusion.h says why that is safe); the others
      // have no step of their own.
      const FusionCluster& cluster = clusters[it->second];
      if (cluster.nodes.back() == n && fused[it->second]) {
        for (const Node* member : cluster.nodes) step_of[member] = static_cast<int>(steps_.size());
        steps_.push_back(MakeFusedStep(cluster, std::move(fused[it->second])));
      }
      continue;
    }
    bool all_constant = n->num_outputs() > 0 && !n->def().is_stateful;
    for (int o = 0; o < n->num_outputs(); ++o) {
      all_constant = all_constant && slots_[slot_of_.at({n, o})].kind == SlotKind::kConstant;
    }
    if (all_constant) continue;  // folded at compile time
    bool aliases_variable = n->def().forwards_ref_input && !n->output_type(0).is_ref &&
                            slots_[slot_of_.at({n, 0})].kind == SlotKind::kVariable;
    if (aliases_variable) continue;  // its output is the variable itself
    bool view = n->num_outputs() == 1 && slots_[slot_of_.at({n, 0})].kind == SlotKind::kAlias;
    if (view) continue;  // its output is its input's buffer
    if (n->def().lowering.kind == OpLowering::Kind::kNothing) continue;  // no work; deadness still sees it
    ControlFlowKind control_flow = n->def().control_flow;
    if (!n->def().kernel && control_flow == ControlFlowKind::kNone) {
      return Unimplemented("op " + n->op() + " (node '" + n->name() + "') has no kernel");
    }
    Step step;
    step.node = n;
    step.control_flow = control_flow;
    step.fn = &RunReferenceStep;
    step.kernel_label = control_flow == ControlFlowKind::kNone ? "reference" : "control flow";
    step.reference = std::make_unique<ReferenceStep>();
    step.closure = step.reference.get();
    ReferenceStep& ref = *step.reference;
    ref.node = n;
    std::vector<bool> ref_mask = RefInputMask(*n);
    for (int i = 0; i < n->num_inputs(); ++i) {
      int s = slot_of_.at({n->input(i).node, n->input(i).index});
      const Slot& slot = slots_[s];
      step.operands.push_back(s);
      ref.inputs.push_back(slot.type);
      bool variable = slot.kind == SlotKind::kVariable;
      ref.ref_inputs.push_back(variable && ref_mask[i] ? slot.var : nullptr);
      step.reads_variable.push_back(variable && !ref_mask[i]);
    }
    for (int o = 0; o < n->num_outputs(); ++o) {
      int s = slot_of_.at({n, o});
      step.operands.push_back(s);
      ref.outputs.push_back(slots_[s].type);
    }
    if (n->def().is_stateful && n->FindAttr("seed2")) ref.rng = &(*rng_states)[n->name()];
    KILN_RETURN_IF_ERROR(UseLibraryKernel(step, options));
    step_of[n] = static_cast<int>(steps_.size());
    steps_.push_back(std::move(step));
  }
  GroupUpdates(step_of, options.thread_pool);
  return OkStatus();
}

Status Executable::UseLibraryKernel(Step& step, const CompileOptions& options) {
  const OpLowering& lowering = step.node->def().lowering;
  if (options.reference_kernels_only || lowering.kind != OpLowering::Kind::kLibrary) return OkStatus();
  LibraryKernelFactory factory = FindLibraryKernel(lowering.library_kernel);
  if (!factory) return OkStatus();
  LibraryKernelArgs args{*step.node, step.reference->inputs, step.reference->outputs, options.thread_pool};
  StatusOr<std::unique_ptr<LibraryKernel>> kernel = factory(args);
  if (!kernel.ok()) return kernel.status();
  if (!*kernel) return OkStatus();
  // Ref operands (the variables an Apply* op updates in place) reach the kernel as the variables'
  // buffers at run time; RunStep keeps the reference kernel for runs where one is not ready.
  for (size_t i = 0; i < step.reference->ref_inputs.size(); ++i) {
    if (step.reference->ref_inputs[i]) step.library_ref_inputs.push_back(static_cast<int>(i));
  }
  step.library = std::make_unique<LibraryStep>();
  step.library->kernel = std::move(*kernel);
  step.kernel_label = "library " + lowering.library_kernel;
  step.fn = &RunLibraryStep;
  step.closure = step.library.get();
  return OkStatus();
}

Status Executable::CompileFusedClusters(const CompileOptions& options, std::vector<FusionCluster>* clusters,
                                        std::vector<std::unique_ptr<FusedStep>>* compiled,
                                        std::map<const Node*, int>* cluster_of) {
  std::set<const Node*> fed(spec_.feed_nodes.begin(), spec_.feed_nodes.end());
  FusionOptions fusion;
  fusion.fetches = spec_.fetches;
  fusion.may_fuse = [&](const Node& n) {
    if (fed.count(&n)) return false;
    for (int o = 0; o < n.num_outputs(); ++o) {
      if (slots_[slot_of_.at({&n, o})].kind != SlotKind::kBuffer) return false;  // constants, variables
    }
    return true;
  };
  *clusters = FindElementwiseClusters(*spec_.graph, fusion);
  if (clusters->empty()) return OkStatus();
  codegen::Jit* jit = options.jit;
  if (!jit) {
    StatusOr<codegen::Jit*> default_jit = codegen::DefaultJit();
    if (!default_jit.ok()) return default_jit.status().WithContext("creating the JIT for fused kernels");
    jit = *default_jit;
  }
  // The clusters compile independently (LLVM works on each in its own context), so they are
  // spread over the pool: a cold compile of mlp_bn's 87 kernels is mostly LLVM time.
  const size_t n = clusters->size();
  compiled->resize(n);
  std::vector<Status> statuses(n);
  auto compile = [&](size_t c) {
    const FusionCluster& cluster = (*clusters)[c];
    if (cluster.outputs.empty()) return;  // only waited on (a cond's pivot): nothing to compute, no step
    StatusOr<std::unique_ptr<FusedStep>> step = CompileFusedStep(*jit, cluster, options.thread_pool);
    if (step.ok()) {
      (*compiled)[c] = std::move(*step);
    } else {
      statuses[c] = step.status().WithContext("compiling the fused kernel of node " + cluster.nodes.back()->DebugName());
    }
  };
  if (options.thread_pool && n > 1) {
    // Clusters are taken one at a time from a shared counter rather than in fixed halves: their
    // compile times differ widely (a reduction with exp and log against a single Mul).
    std::atomic<size_t> next{0};
    const int64_t workers = std::min<int64_t>(options.thread_pool->num_threads(), static_cast<int64_t>(n));
    options.thread_pool->ParallelFor(workers, 1, [&](int64_t, int64_t) {
      for (size_t c = next++; c < n; c = next++) compile(c);
    });
  } else {
    for (size_t c = 0; c < n; ++c) compile(c);
  }
  for (size_t c = 0; c < n; ++c) {
    KILN_RETURN_IF_ERROR(statuses[c]);
    for (const Node* node : (*clusters)[c].nodes) (*cluster_of)[node] = static_cast<int>(c);
  }
  return OkStatus();
}

Executable::Step Executable::MakeFusedStep(const FusionCluster& cluster, std::unique_ptr<FusedStep> fused) {
  Step step;
  step.node = cluster.nodes.back();
  for (const Output& in : cluster.inputs) {
    int s = slot_of_.at({in.node, in.index});
    step.operands.push_back(s);
    step.reads_variable.push_back(slots_[s].kind == SlotKind::kVariable);  // fusable inputs are never refs
  }
  for (const Output& out : cluster.outputs) step.operands.push_back(slot_of_.at({out.node, out.index}));
  step.fused = std::move(fused);
  step.kernel_label = "fused (" + std::to_string(cluster.nodes.size()) + " ops)";
  step.fn = &RunFusedStep;
  step.closure = step.fused.get();
  return step;
}

void* Executable::SlotData(const Slot& slot, const std::vector<Tensor>& feeds) const {
  switch (slot.kind) {
    case SlotKind::kFeed: return feeds[slot.feed_index].raw_data();
    case SlotKind::kVariable: return slot.var->value.raw_data();
    case SlotKind::kAlias: return SlotData(slots_[slot.alias_of], feeds);
    case SlotKind::kForwarded: return slot.forwarded;
    default: return slot.storage.raw_data();
  }
}

void Executable::BuildLiveness() {
  std::vector<Node*> nodes = spec_.graph->nodes();
  bool has_control_flow = false;
  for (Node* n : nodes) has_control_flow = has_control_flow || n->def().control_flow != ControlFlowKind::kNone;
  if (!has_control_flow) return;
  std::map<const Node*, int> index_of, step_of;
  for (size_t i = 0; i < nodes.size(); ++i) index_of[nodes[i]] = static_cast<int>(i);
  for (size_t i = 0; i < steps_.size(); ++i) step_of[steps_[i].node] = static_cast<int>(i);
  for (Node* n : nodes) {
    NodeLiveness l;
    if (auto it = step_of.find(n); it != step_of.end()) l.step = it->second;
    l.is_merge = n->def().control_flow == ControlFlowKind::kMerge;
    for (const Output& in : n->inputs()) l.input_slots.push_back(slot_of_.at({in.node, in.index}));
    for (Node* c : n->control_inputs()) l.control_nodes.push_back(index_of.at(c));
    for (int o = 0; o < n->num_outputs(); ++o) l.output_slots.push_back(slot_of_.at({n, o}));
    liveness_.push_back(std::move(l));
  }
  slot_dead_.assign(slots_.size(), 0);
  node_dead_.assign(nodes.size(), 0);
}

StatusOr<bool> Executable::BindOperands(const Step& step, const std::vector<Tensor>& feeds, void** buffers) const {
  for (size_t k = 0; k < step.operands.size(); ++k) {
    const Slot& slot = slots_[step.operands[k]];
    if (k < step.reads_variable.size() && step.reads_variable[k] && !slot.var->initialized) {
      const Node* where = slot.reader ? slot.reader : step.node;
      return FailedPrecondition("Attempting to use uninitialized value " + slot.var->name + "\n\t [[node " +
                                where->name() + " (op: " + where->op() + ")]]");
    }
    if (k < step.reads_variable.size() && step.reads_variable[k] && slot.var->value.dims() != slot.type.shape.dims()) {
      // Plans are compiled for fixed variable shapes; an assign with validate_shape=false that
      // changed one must not let kernels read past the new buffer.
      return Unimplemented("variable " + slot.var->name + " now has shape " + slot.var->value.shape().ToString() +
                           " but node " + step.node->name() + " was compiled for " + slot.type.shape.ToString() +
                           " (variables whose shape changes after assign(validate_shape=false) are not supported)");
    }
    buffers[k] = SlotData(slot, feeds);
  }
  for (int i : step.library_ref_inputs) {
    const VariableStorage* var = step.reference->ref_inputs[i];
    // An uninitialized variable, or one whose shape an assign changed: the reference kernel reports
    // it as TF does (a library kernel would write through a missing or wrong-sized buffer).
    if (!var->initialized || var->value.dims() != step.reference->inputs[i].shape.dims()) return false;
  }
  return true;
}

Status Executable::RunStep(Step& step, const std::vector<Tensor>& feeds) {
  if (step.group) return RunGroupedUpdates(step, feeds);
  scratch_.resize(step.operands.size());
  KILN_ASSIGN_OR_RETURN(bool library_ready, BindOperands(step, feeds, scratch_.data()));
  KilnKernelFn fn = step.fn;
  const void* closure = step.closure;
  if (step.library && !library_ready) {
    fn = &RunReferenceStep;
    closure = step.reference.get();
  }
  if (fn(closure, scratch_.data(), step.sizes.data()) != 0) {
    if (step.library && closure == step.library.get()) return step.library->status;
    if (step.reference) return step.reference->status;
    return Internal("the kernel of node " + step.node->DebugName() + " failed");
  }
  return OkStatus();
}

void Executable::RunControlFlowStep(const Step& step, const std::vector<Tensor>& feeds) {
  auto copy = [&](int from, int to) {
    Slot& dst = slots_[to];
    if (dst.kind == SlotKind::kVariable) return;  // a ref forwarded: the variable itself
    if (dst.kind == SlotKind::kForwarded) {  // readers see the input's buffer: nothing to copy
      dst.forwarded = SlotData(slots_[from], feeds);
      return;
    }
    if (dst.type.dtype == DT_STRING) {
      std::copy_n(static_cast<const std::string*>(SlotData(slots_[from], feeds)), dst.type.shape.num_elements(),
                  static_cast<std::string*>(SlotData(dst, feeds)));
      return;
    }
    size_t bytes = static_cast<size_t>(dst.type.shape.num_elements()) * DataTypeSize(dst.type.dtype);
    std::memcpy(SlotData(dst, feeds), SlotData(slots_[from], feeds), bytes);
  };
  size_t num_inputs = step.node->num_inputs();
  if (step.control_flow == ControlFlowKind::kSwitch) {
    int taken = *static_cast<const bool*>(SlotData(slots_[step.operands[1]], feeds)) ? 1 : 0;
    copy(step.operands[0], step.operands[num_inputs + taken]);
    slot_dead_[step.operands[num_inputs + 1 - taken]] = 1;
    return;
  }
  int32_t first_live = 0;  // the caller only runs a Merge with a live input
  while (slot_dead_[step.operands[first_live]]) ++first_live;
  copy(step.operands[first_live], step.operands[num_inputs]);
  *static_cast<int32_t*>(SlotData(slots_[step.operands[num_inputs + 1]], feeds)) = first_live;
}

Status Executable::RunTracedStep(Step& step, const std::vector<Tensor>& feeds, RunMetadata* trace) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point begin;
  if (trace) begin = Clock::now();
  Status status = OkStatus();
  if (step.control_flow != ControlFlowKind::kNone) {
    RunControlFlowStep(step, feeds);
  } else {
    status = RunStep(step, feeds);
  }
  if (trace) {
    auto end = Clock::now();
    NodeExecStats stats;
    stats.node_name = step.node->name();
    stats.op = step.node->op();
    stats.kernel = step.kernel_label;
    stats.output_shape = step.node->num_outputs() > 0 ? step.node->output_type(0).shape.ToString() : "[]";
    stats.start_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(begin - trace_start_).count();
    stats.duration_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(end - begin).count();
    trace->step_stats.push_back(std::move(stats));
  }
  return status;
}

Status Executable::RunWithDeadness(const std::vector<Tensor>& feeds, RunMetadata* trace) {
  for (size_t i = 0; i < liveness_.size(); ++i) {
    const NodeLiveness& l = liveness_[i];
    bool dead = false;
    if (l.is_merge) {
      dead = true;
      for (int s : l.input_slots) dead = dead && slot_dead_[s];
    } else {
      for (int s : l.input_slots) dead = dead || slot_dead_[s];
    }
    for (int c : l.control_nodes) dead = dead || node_dead_[c];
    node_dead_[i] = dead;
    for (int s : l.output_slots) slot_dead_[s] = dead;
    if (dead || l.step < 0) continue;
    KILN_RETURN_IF_ERROR(RunTracedStep(steps_[l.step], feeds, trace));
  }
  return OkStatus();
}

Status Executable::Run(const std::vector<Tensor>& feed_values, std::vector<Tensor>* fetch_values, RunMetadata* trace) {
  if (feed_values.size() != spec_.feed_nodes.size()) {
    return InvalidArgument("expected " + std::to_string(spec_.feed_nodes.size()) + " feeds, got " +
                           std::to_string(feed_values.size()));
  }
  if (trace) trace_start_ = std::chrono::steady_clock::now();
  if (liveness_.empty()) {
    for (Step& step : steps_) KILN_RETURN_IF_ERROR(RunTracedStep(step, feed_values, trace));
  } else {
    KILN_RETURN_IF_ERROR(RunWithDeadness(feed_values, trace));
  }
  fetch_values->clear();
  for (size_t f = 0; f < fetch_slots_.size(); ++f) {
    int s = fetch_slots_[f];
    const Slot& slot = slots_[s];
    if (!slot_dead_.empty() && slot_dead_[s]) {
      return InvalidArgument("fetch " + spec_.fetches[f].name() +
                             " has no value in this run: it is computed only in a cond branch that was not taken");
    }
    if (slot.kind == SlotKind::kVariable) {
      if (!slot.var->initialized) return FailedPrecondition("Attempting to use uninitialized value " + slot.var->name);
      fetch_values->push_back(slot.var->value.Clone());
    } else if (slot.kind == SlotKind::kFeed) {
      fetch_values->push_back(feed_values[slot.feed_index]);
    } else {
      fetch_values->push_back(CopyOut(slot.type, SlotData(slot, feed_values)));
    }
  }
  return OkStatus();
}

}  // namespace kiln
