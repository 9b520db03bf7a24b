// The in-memory graph: nodes with an op, attrs, data inputs (Output = node + output index), control
// inputs, and one inferred TensorType per output. Nodes are checked against their OpDef and their
// outputs typed the moment they are added, as TF's C API does, so errors surface where the user
// made them. Every walk over a graph is iterative: a 100,000-node chain must not overflow the stack.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/attr_value.h"
#include "graph/op_def.h"
#include "graph/status.h"
#include "graph/tensor.h"
#include "graph/types.h"

namespace kiln {

class Graph;
class Node;
struct CondContext;  // graph/builder/cond.h

// One output of a node: the handle the builder API passes around (TF's tf.Tensor / C++ Output).
struct Output {
  Node* node = nullptr;
  int index = 0;

  Output() = default;
  Output(Node* n, int i = 0) : node(n), index(i) {}  // NOLINT: a node converts to its output 0
  explicit operator bool() const { return node != nullptr; }
  // "name:index" as TF names tensors.
  std::string name() const;
  const TensorType& type() const;
  DataType dtype() const { return type().dtype; }
  Shape shape() const { return type().shape; }
  Graph* graph() const;
  bool operator==(const Output& o) const { return node == o.node && index == o.index; }
  bool operator<(const Output& o) const;
};

// An operation handle for control dependencies and fetch targets: a node, from an op or a tensor.
struct Operation {
  Node* node = nullptr;
  Operation() = default;
  Operation(Node* n) : node(n) {}            // NOLINT
  Operation(const Output& o) : node(o.node) {}  // NOLINT: a tensor's producing op
  std::string name() const;
  explicit operator bool() const { return node != nullptr; }
};

// Where a node output is used: the consumer and its input slot (-1 for a control edge).
struct Use {
  Node* node;
  int input_index;
};

class Node {
 public:
  int id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& op() const { return def_->name; }
  const OpDef& def() const { return *def_; }
  const std::string& device() const { return device_; }
  Graph* graph() const { return graph_; }

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  const Output& input(int i) const { return inputs_[i]; }
  const std::vector<Output>& inputs() const { return inputs_; }
  const std::vector<Node*>& control_inputs() const { return control_inputs_; }
  // Consumers of this node's outputs and of the node itself through control edges.
  const std::vector<Use>& uses() const { return uses_; }

  int num_outputs() const { return static_cast<int>(output_types_.size()); }
  const TensorType& output_type(int i) const { return output_types_[i]; }
  const std::vector<TensorType>& output_types() const { return output_types_; }
  // The constant value of output i when shape inference could compute it (Const, Shape of a known
  // shape, small arithmetic on those); null otherwise.
  const Tensor* known_value(int i) const;

  const AttrMap& attrs() const { return attrs_; }
  const AttrValue* FindAttr(const std::string& name) const;
  template <typename T>
  T attr(const std::string& name) const {  // the attr exists and has type T: checked at AddNode
    return std::get<T>(attrs_.at(name));
  }
  template <typename T>
  Status GetAttr(const std::string& name, T* out) const;

  // "'name' (op: 'Op')" for error messages.
  std::string DebugName() const;

 private:
  friend class Graph;
  int id_ = -1;
  std::string name_;
  const OpDef* def_ = nullptr;
  std::string device_;
  Graph* graph_ = nullptr;
  std::vector<Output> inputs_;
  std::vector<Node*> control_inputs_;
  std::vector<Use> uses_;
  AttrMap attrs_;
  std::vector<TensorType> output_types_;
  std::vector<std::shared_ptr<const Tensor>> known_values_;
};

template <typename T>
Status Node::GetAttr(const std::string& name, T* out) const {
  const AttrValue* v = FindAttr(name);
  if (!v) return NotFound("node " + DebugName() + " has no attr '" + name + "'");
  if (const T* p = std::get_if<T>(v)) {
    *out = *p;
    return OkStatus();
  }
  return InvalidArgument("attr '" + name + "' of node " + DebugName() + " has type " +
                         AttrTypeName(*v));
}

// What it takes to add a node.
struct NodeSpec {
  std::string name;
  std::string op;
  std::vector<Output> inputs;
  std::vector<Node*> control_inputs;
  AttrMap attrs;
  std::string device;
};

class Graph {
 public:
  Graph();
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Validates the spec against the op's signature (input count and dtypes, attrs and their types;
  // missing attrs take defaults; type attrs are inferred from inputs), infers output types, and adds
  // the node. Errors name the node, op, dtypes and shapes.
  StatusOr<Node*> AddNode(NodeSpec spec);
  // Re-checks one node against its signature and re-runs type and shape inference from its
  // current inputs (after a pass rewired it).
  Status InferNode(Node* node);

  Node* FindNode(const std::string& name) const;
  // Resolves "name", "name:1" to an Output.
  StatusOr<Output> FindOutput(const std::string& tensor_name) const;
  // Live nodes in id order.
  std::vector<Node*> nodes() const;
  int num_nodes() const { return num_live_; }

  // Rewiring for passes.
  void UpdateInput(Node* consumer, int input_index, Output new_source);
  void AddControlInput(Node* consumer, Node* dependency);
  void RemoveControlInput(Node* consumer, Node* dependency);
  void RemoveNode(Node* node);  // the node must have no remaining uses
  // A folded constant takes the name of the node it replaced, so fetches by name still find it.
  // AlreadyExists if another live node has the name.
  Status RenameNode(Node* node, const std::string& new_name);
  // Gives the live nodes ids 0..n-1 in `order` (a permutation of nodes()). Passes that add nodes
  // call it to restore the invariant that id order is a topological order, which executables and
  // later passes read as the program's order.
  void RenumberNodes(const std::vector<Node*>& order);

  // "MatMul", "MatMul_1", ... unique over the graph, as TF's unique_name.
  std::string UniqueName(const std::string& base);
  bool IsNameUsed(const std::string& name) const;

  // Graph-level random seed (tf.set_random_seed); nullopt when unset.
  std::optional<int64_t> seed() const { return seed_; }
  void set_seed(int64_t seed) { seed_ = seed; }
  // The next op-level seed handed out when the graph seed is set (TF uses its op counter).
  int64_t NextOpSeed() { return next_op_seed_++; }

  // The first error met while building (builder functions record it instead of throwing); later
  // builder calls that see a null input return null without adding another error.
  const Status& build_status() const { return build_status_; }
  void RecordBuildError(const Status& s) { if (build_status_.ok()) build_status_ = s; }

  // Builder state: name scope stack and control-dependency stack (see graph/builder/context.h).
  std::vector<std::string>& name_scopes() { return name_scopes_; }
  std::vector<std::vector<Node*>>& control_dependency_stack() { return control_dependency_stack_; }
  // The cond branches being built, innermost last (graph/builder/cond.h).
  std::vector<CondContext*>& cond_contexts() { return cond_contexts_; }

  // Named collections of nodes (TF's graph collections: GLOBAL_VARIABLES, TRAINABLE_VARIABLES, ...).
  void AddToCollection(const std::string& key, Node* node);
  const std::vector<Node*>& GetCollection(const std::string& key) const;
  const std::map<std::string, std::vector<Node*>>& collections() const { return collections_; }

  // Producer version written into exported GraphDefs.
  int producer_version() const { return producer_version_; }
  void set_producer_version(int v) { producer_version_ = v; }

 private:
  Status Validate(const OpDef& def, NodeSpec* spec) const;
  // Output types, shapes and build-time values of a validated node.
  Status InferTypes(Node* node);
  StatusOr<Node*> Insert(NodeSpec spec, const OpDef* def);

  std::vector<std::unique_ptr<Node>> nodes_;  // indexed by id; null once removed
  int num_live_ = 0;
  std::unordered_map<std::string, Node*> by_name_;
  std::unordered_map<std::string, int> name_counts_;
  std::optional<int64_t> seed_;
  int64_t next_op_seed_ = 1;
  Status build_status_;
  std::vector<std::string> name_scopes_;
  std::vector<std::vector<Node*>> control_dependency_stack_;
  std::vector<CondContext*> cond_contexts_;
  std::map<std::string, std::vector<Node*>> collections_;
  int producer_version_ = 26;  // TF 1.8: what TF1 tools expect to see
};

// The error prefix TF uses for op construction failures:
// "Dimensions must be equal, but are 3 and 4 for 'MatMul' (op: 'MatMul') with input shapes: [2,3], [4,5]."
std::string InputShapesSuffix(const Node& node);

}  // namespace kiln
