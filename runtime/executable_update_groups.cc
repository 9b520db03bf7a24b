// The Executable's half of running a training step's optimizer updates as one kernel
// (runtime/update_group.h): what each step reads, writes and waits for, the steps regrouped by
// PlanUpdateGroups, and how a group step runs.
#include <set>

#include "runtime/executable.h"
#include "runtime/fused_step.h"
#include "runtime/kernels/library_kernel.h"
#include "runtime/update_group.h"

namespace kiln {

void Executable::GroupUpdates(const std::map<const Node*, int>& step_of, ThreadPool* pool) {
  std::vector<Node*> nodes = spec_.graph->nodes();
  for (const Node* n : nodes) {
    if (n->def().control_flow != ControlFlowKind::kNone) return;
  }
  auto update_kernel = [](const Step& step) -> ElementwiseUpdateKernel* {
    return step.library ? dynamic_cast<ElementwiseUpdateKernel*>(step.library->kernel.get()) : nullptr;
  };
  int updates = 0;
  for (const Step& step : steps_) updates += update_kernel(step) ? 1 : 0;
  if (updates < 2) return;

  std::vector<StepAccess> access(steps_.size());
  // The steps a node's value waits for: its own step, or for a node without one (a variable's read,
  // a NoOp, a view), the steps its inputs wait for. Node order is topological.
  std::map<const Node*, std::vector<int>> waits;
  for (const Node* n : nodes) {
    std::set<int> needs;
    auto add = [&](const Node* in) {
      const std::vector<int>& w = waits[in];
      needs.insert(w.begin(), w.end());
    };
    for (const Output& in : n->inputs()) add(in.node);
    for (const Node* c : n->control_inputs()) add(c);
    auto it = step_of.find(n);
    if (it == step_of.end()) {
      waits[n].assign(needs.begin(), needs.end());
      continue;
    }
    needs.erase(it->second);  // a fused cluster's nodes feed one another within the step
    std::vector<int>& step_waits = access[it->second].waits_for;
    step_waits.insert(step_waits.end(), needs.begin(), needs.end());
    waits[n] = {it->second};
  }
  std::map<const VariableStorage*, int> variable_id;
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& step = steps_[i];
    StepAccess& a = access[i];
    a.groupable = update_kernel(step) != nullptr;
    // A ref input is written (Assign's, Apply*'s var and slots), and so is a ref output, which
    // is one of them again; every other variable operand is read.
    const std::vector<VariableStorage*>* refs = step.reference ? &step.reference->ref_inputs : nullptr;
    for (size_t k = 0; k < step.operands.size(); ++k) {
      const Slot& slot = slots_[step.operands[k]];
      if (slot.kind != SlotKind::kVariable) continue;
      int id = variable_id.emplace(slot.var, static_cast<int>(variable_id.size())).first->second;
      bool written = refs && (k >= refs->size() || (*refs)[k]);
      (written ? a.writes : a.reads).push_back(id);
    }
  }

  std::vector<std::vector<int>> order = PlanUpdateGroups(access);
  if (order.size() == steps_.size()) return;
  std::vector<Step> regrouped;
  for (const std::vector<int>& entry : order) {
    if (entry.size() == 1) {
      regrouped.push_back(std::move(steps_[entry[0]]));
      continue;
    }
    Step step;
    auto group = std::make_unique<GroupedUpdates>();
    std::vector<ElementwiseUpdateKernel*> kernels;
    for (int i : entry) {
      Step& member = steps_[i];
      step.operands.insert(step.operands.end(), member.operands.begin(), member.operands.end());
      kernels.push_back(update_kernel(member));
      group->buffers.emplace_back(member.operands.size());
      group->members.push_back(std::move(member));
    }
    step.node = group->members.back().node;
    step.kernel_label = "library update group (" + std::to_string(entry.size()) + " updates)";
    group->kernel = std::make_unique<UpdateGroup>(std::move(kernels), pool);
    step.group = std::move(group);
    regrouped.push_back(std::move(step));
  }
  steps_ = std::move(regrouped);
}

Status Executable::RunGroupedUpdates(Step& step, const std::vector<Tensor>& feeds) {
  GroupedUpdates& group = *step.group;
  bool all_ready = true;
  for (size_t m = 0; m < group.members.size(); ++m) {
    KILN_ASSIGN_OR_RETURN(bool ready, BindOperands(group.members[m], feeds, group.buffers[m].data()));
    all_ready = all_ready && ready;
  }
  if (all_ready) {
    group.kernel->Run(group.buffers);
    return OkStatus();
  }
  // A variable is uninitialized or was reshaped by an assign: each update on its own, so that the
  // reference kernel reports it as TF does.
  for (Step& member : group.members) KILN_RETURN_IF_ERROR(RunStep(member, feeds));
  return OkStatus();
}

}  // namespace kiln
