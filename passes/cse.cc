#include "passes/cse.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "passes/rewrite.h"

namespace kiln {
namespace {

bool Mergeable(const Node& node, const PassContext& context) {
  const OpDef& def = node.def();
  if (def.is_stateful || def.control_flow != ControlFlowKind::kNone) return false;
  // Two placeholders of one shape are two different feeds.
  if (node.op() == "Placeholder" || node.op() == "PlaceholderWithDefault" || IsFed(context, node)) return false;
  for (const TensorType& t : node.output_types()) if (t.is_ref) return false;
  for (const Output& in : node.inputs()) if (in.type().is_ref) return false;
  return true;
}

// Data inputs as the key sees them: in order, or sorted for a commutative op.
std::vector<Output> KeyInputs(const Node& node) {
  std::vector<Output> inputs = node.inputs();
  if (node.def().is_commutative) std::sort(inputs.begin(), inputs.end());
  return inputs;
}

std::vector<int> ControlIds(const Node& node) {
  std::vector<int> ids;
  for (const Node* c : node.control_inputs()) ids.push_back(c->id());
  std::sort(ids.begin(), ids.end());
  return ids;
}

void Combine(size_t* h, size_t v) { *h ^= v + 0x9e3779b97f4a7c15ULL + (*h << 6) + (*h >> 2); }

size_t HashAttr(const AttrValue& value) {
  const Tensor* t = std::get_if<Tensor>(&value);
  if (!t) return std::hash<std::string>()(AttrValueToString(value));
  // dtype, dims and a prefix of the bytes: enough to spread buckets; Equivalent compares it all.
  size_t h = std::hash<int>()(t->dtype());
  for (int64_t d : t->dims()) Combine(&h, std::hash<int64_t>()(d));
  if (t->dtype() == DT_STRING) {
    for (int64_t i = 0; i < std::min<int64_t>(t->num_elements(), 4); ++i) Combine(&h, std::hash<std::string>()(t->strings()[i]));
  } else if (t->raw_data()) {
    Combine(&h, std::hash<std::string_view>()(std::string_view(static_cast<const char*>(t->raw_data()),
                                                               std::min<size_t>(t->num_bytes(), 256))));
  }
  return h;
}

size_t Hash(const Node& node) {
  size_t h = std::hash<std::string>()(node.op());
  Combine(&h, std::hash<std::string>()(node.device()));
  for (const Output& in : KeyInputs(node)) {
    Combine(&h, std::hash<int>()(in.node->id()));
    Combine(&h, std::hash<int>()(in.index));
  }
  for (int id : ControlIds(node)) Combine(&h, std::hash<int>()(-id - 1));
  for (const auto& [key, value] : node.attrs()) {
    Combine(&h, std::hash<std::string>()(key));
    Combine(&h, HashAttr(value));
  }
  return h;
}

bool Equivalent(const Node& a, const Node& b) {
  if (a.op() != b.op() || a.device() != b.device() || a.attrs().size() != b.attrs().size()) return false;
  if (KeyInputs(a) != KeyInputs(b) || ControlIds(a) != ControlIds(b)) return false;
  for (const auto& [key, value] : a.attrs()) {
    const AttrValue* other = b.FindAttr(key);
    if (!other || !AttrValuesEqual(value, *other)) return false;
  }
  return true;
}

class CsePass : public GraphPass {
 public:
  std::string name() const override { return "cse"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    std::unordered_map<size_t, std::vector<Node*>> seen;
    std::unordered_set<Node*> removed;
    bool changed = false, moved = false;
    for (Node* node : graph.nodes()) {  // id order is topological: inputs are merged first
      if (removed.count(node) || !Mergeable(*node, context)) continue;
      std::vector<Node*>& bucket = seen[Hash(*node)];
      auto same = std::find_if(bucket.begin(), bucket.end(),
                               [&](Node* other) { return !removed.count(other) && Equivalent(*other, *node); });
      if (same == bucket.end()) {
        bucket.push_back(node);
        continue;
      }
      // The earlier node stays (its readers all come later), unless only the later one is fetched
      // or a target: that one keeps its name and moves up (RestoreTopologicalIds) instead.
      Node* keep = *same;
      Node* drop = node;
      if (IsPinned(context, *drop)) {
        if (IsPinned(context, *keep)) continue;
        std::swap(keep, drop);
        *same = keep;
        moved = true;
      }
      ReplaceNode(graph, context, drop, keep);
      std::vector<Node*> gone;
      RemoveIfUnused(graph, context, drop, &gone);
      removed.insert(gone.begin(), gone.end());
      changed = true;
    }
    if (moved) RestoreTopologicalIds(graph);
    return changed;
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakeCsePass() { return std::make_unique<CsePass>(); }

}  // namespace kiln
