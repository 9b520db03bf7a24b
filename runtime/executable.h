// Executable: the compiled plan of one Session::Run signature (fetches, targets, feed dtypes and
// shapes). A flat list of steps over slots; every step is called through the kernel ABI
// (graph/kernel_abi.h), so reference kernels today and JIT-compiled kernels later sit in the same
// plan. Buffers are placed once at compile time in one arena, sharing memory where their lifetimes do
// not overlap (PlanMemory); a run binds feeds and variables and executes.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/kernel_abi.h"
#include "passes/fusion.h"
#include "passes/specialize.h"
#include "runtime/arena_memory.h"
#include "runtime/reference_step.h"
#include "runtime/run_metadata.h"
#include "runtime/variable_store.h"

namespace kiln {

class ThreadPool;
class UpdateGroup;
struct FusedStep;
struct LibraryStep;
namespace codegen {
class Jit;
}

// How an Executable is built.
struct CompileOptions {
  // Run every op on its reference kernel: the oracle the compiled plan is checked against. The
  // environment variable KILN_JIT=0 forces it for every executable of the process (as KILN_THREADS
  // sets the pool's size), so any program can be rerun on reference kernels without rebuilding.
  bool reference_kernels_only = false;
  // Fuse elementwise ops into JIT-compiled loop nests (passes/fusion.h); off, each op runs its library
  // or reference kernel.
  bool fuse_elementwise = true;
  // The JIT fused kernels compile in; null means the process-wide codegen::DefaultJit().
  codegen::Jit* jit = nullptr;
  // Where library kernels split their work; null means the process-wide DefaultThreadPool().
  ThreadPool* thread_pool = nullptr;
  // The graph passes run after shape specialization (all of them unless switched off).
  PipelineOptions graph_passes;
};

class Executable {
 public:
  // Specializes the graph for the feed shapes and lowers it. `rng_states` (by node name) and
  // `variables` are the Session's and must outlive the Executable.
  static StatusOr<std::unique_ptr<Executable>> Compile(const std::vector<FeedSpec>& feeds,
                                                       const std::vector<Output>& fetches,
                                                       const std::vector<Node*>& targets, VariableStore* variables,
                                                       std::map<std::string, RngState>* rng_states,
                                                       const CompileOptions& options = {});
  ~Executable();

  // Feed values in the order of Compile's feeds (shapes as compiled); one tensor per fetch. With
  // `trace`, every executed step's timing is appended to trace->step_stats.
  Status Run(const std::vector<Tensor>& feed_values, std::vector<Tensor>* fetch_values, RunMetadata* trace = nullptr);

  const Graph& graph() const { return *spec_.graph; }
  // The static memory plan: the arena every intermediate buffer lives in, and what those buffers
  // would take each on its own.
  struct MemoryStats {
    int64_t arena_bytes = 0;
    int64_t buffer_bytes = 0;
  };
  const MemoryStats& memory() const { return memory_; }
  int num_steps() const { return static_cast<int>(steps_.size()); }

 private:
  // kAlias: another slot's buffer, unchanged (a Reshape or Identity, OpDef::shares_input_buffer);
  // kForwarded: the buffer of whichever input a Switch or Merge passed on in this run.
  enum class SlotKind { kBuffer, kFeed, kConstant, kVariable, kAlias, kForwarded };
  struct Slot {
    SlotKind kind = SlotKind::kBuffer;
    TensorType type;
    Tensor storage;       // kBuffer: preallocated; kConstant: the value
    int feed_index = -1;  // kFeed
    int alias_of = -1;    // kAlias
    void* forwarded = nullptr;  // kForwarded: set by the Switch or Merge step when it runs
    VariableStorage* var = nullptr;  // kVariable
    const Node* reader = nullptr;    // kVariable read by value through an alias (`W/read`), for errors
  };
  struct GroupedUpdates;
  struct Step {
    const Node* node = nullptr;
    ControlFlowKind control_flow = ControlFlowKind::kNone;  // Switch/Merge: run by RunControlFlowStep
    KilnKernelFn fn = nullptr;
    const void* closure = nullptr;                // what fn is called with: one of the two below
    std::unique_ptr<ReferenceStep> reference;     // a reference kernel's step
    std::unique_ptr<LibraryStep> library;         // a library kernel's step (GEMM, convolution, pooling)
    std::unique_ptr<FusedStep> fused;             // a JIT-compiled cluster of elementwise nodes
    std::unique_ptr<GroupedUpdates> group;        // optimizer updates run as one kernel (update_group.h)
    std::vector<int> library_ref_inputs;  // a library step's ref inputs: each checked before a run
    std::vector<int> operands;          // slots: inputs, then outputs
    std::vector<bool> reads_variable;   // per input: a variable read by value (must be initialized)
    std::vector<int64_t> sizes;
    std::string kernel_label;  // for traces: "fused (N ops)", "library <name>" or "reference"
  };
  // A group step: its operands are all its members' (so the memory plan keeps their inputs alive
  // until it runs), and it runs the members' kernels as one UpdateGroup.
  struct GroupedUpdates {
    std::vector<Step> members;  // each as built on its own, for its operands and its reference kernel
    std::unique_ptr<UpdateGroup> kernel;
    std::vector<std::vector<void*>> buffers;  // per member: its operands' data in this run
  };

  // What deadness propagation needs of one node (graphs with Switch only): an op with a dead data
  // input or control input is dead, except a Merge, which is dead only when all inputs are.
  struct NodeLiveness {
    int step = -1;  // index into steps_; -1 for nodes with no step (fed, folded, aliasing a variable)
    bool is_merge = false;
    std::vector<int> input_slots;
    std::vector<int> control_nodes;  // indices into liveness_
    std::vector<int> output_slots;
  };

  Executable() = default;
  Status BuildSlots(VariableStore* variables);
  Status BuildSteps(std::map<std::string, RngState>* rng_states, const CompileOptions& options);
  // Makes `step` run the library kernel its op's lowering names, when there is one for these dtypes.
  Status UseLibraryKernel(Step& step, const CompileOptions& options);
  // Groups the elementwise nodes into clusters and compiles each; `cluster_of` maps every member to
  // its cluster's index in `clusters`.
  Status CompileFusedClusters(const CompileOptions& options, std::vector<FusionCluster>* clusters,
                              std::vector<std::unique_ptr<FusedStep>>* compiled, std::map<const Node*, int>* cluster_of);
  // The step that runs a compiled cluster, where its last node stands.
  Step MakeFusedStep(const FusionCluster& cluster, std::unique_ptr<FusedStep> fused);
  // Runs the elementwise updates of a step (the optimizers') as few kernels as their order allows
  // (runtime/update_group.h). `step_of` maps every node with work to the step that does it.
  // Graphs with Switch and Merge keep one step per update: deadness is tracked per node.
  void GroupUpdates(const std::map<const Node*, int>& step_of, ThreadPool* pool);
  void BuildLiveness();
  // Places every arena buffer (see InArena) by the steps that use it (runtime/buffer_plan.h).
  Status PlanMemory();
  static bool InArena(const Slot& slot);
  void* SlotData(const Slot& slot, const std::vector<Tensor>& feeds) const;
  // The plan for a non-variable output without a known value: its own buffer, or another slot's.
  StatusOr<Slot> PlanBuffer(const Node& n, int o, TensorType type);
  Status RunStep(Step& step, const std::vector<Tensor>& feeds);
  // Points `buffers` at the step's operands. Fails as TF does when a variable read by value is
  // uninitialized; returns false when a ref operand is not ready for the library kernel (the step's
  // reference kernel must run and report it).
  StatusOr<bool> BindOperands(const Step& step, const std::vector<Tensor>& feeds, void** buffers) const;
  Status RunGroupedUpdates(Step& step, const std::vector<Tensor>& feeds);
  // Switch and Merge: forward data and set the deadness of their outputs.
  void RunControlFlowStep(const Step& step, const std::vector<Tensor>& feeds);
  Status RunWithDeadness(const std::vector<Tensor>& feeds, RunMetadata* trace);
  // Runs a kernel or control-flow step, timing it into `trace` when there is one.
  Status RunTracedStep(Step& step, const std::vector<Tensor>& feeds, RunMetadata* trace);

  SpecializedGraph spec_;
  std::vector<Slot> slots_;
  std::map<std::pair<const Node*, int>, int> slot_of_;
  std::vector<Step> steps_;
  std::vector<int> fetch_slots_;
  std::vector<void*> scratch_;
  std::vector<NodeLiveness> liveness_;  // empty unless the graph has control flow
  std::vector<uint8_t> slot_dead_;
  std::vector<uint8_t> node_dead_;
  ArenaMemory arena_memory_;  // owns the memory arena_ views
  Tensor arena_;
  MemoryStats memory_;
  std::chrono::steady_clock::time_point trace_start_;  // the traced run's start
};

}  // namespace kiln
