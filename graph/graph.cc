#include "graph/graph.h"

#include <algorithm>

#include "graph/kernel_context.h"
#include "graph/op_registry.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

// Values up to this many elements are computed at build time so shape functions can read them
// (the shape argument of Reshape, axes of reductions). Larger constants fold in the compiler.
constexpr int64_t kMaxKnownValueElements = 4096;

const std::vector<Node*> kEmptyCollection;

}  // namespace

// ---- Output / Node ----

std::string Operation::name() const { return node ? node->name() : "<null>"; }

std::string Output::name() const { return node ? node->name() + ":" + std::to_string(index) : "<null>"; }
const TensorType& Output::type() const {
  // A null Output (the result of a failed builder call) has an invalid type rather than crashing
  // the caller; the error itself is in the graph's build_status().
  static const TensorType kInvalid;
  return node ? node->output_type(index) : kInvalid;
}
Graph* Output::graph() const { return node ? node->graph() : nullptr; }
bool Output::operator<(const Output& o) const {
  if (node != o.node) return (node ? node->id() : -1) < (o.node ? o.node->id() : -1);
  return index < o.index;
}

const Tensor* Node::known_value(int i) const {
  return i < static_cast<int>(known_values_.size()) ? known_values_[i].get() : nullptr;
}

const AttrValue* Node::FindAttr(const std::string& name) const {
  auto it = attrs_.find(name);
  return it == attrs_.end() ? nullptr : &it->second;
}

std::string Node::DebugName() const { return "'" + name_ + "' (op: '" + op() + "')"; }

std::string InputShapesSuffix(const Node& node) {
  std::string s = " for '" + node.name() + "' (op: '" + node.op() + "')";
  if (node.num_inputs() == 0) return s + ".";
  s += " with input shapes: ";
  for (int i = 0; i < node.num_inputs(); ++i) {
    if (i) s += ", ";
    s += node.input(i).type().shape.ToString();
  }
  return s + ".";
}

// ---- Graph ----

Graph::Graph() = default;
Graph::~Graph() = default;

Status Graph::Validate(const OpDef& def, NodeSpec* spec) const {
  const std::string who = "'" + spec->name + "' (op: '" + def.name + "')";
  for (const auto& [name, value] : spec->attrs) {
    if (name.empty() || name[0] == '_') continue;  // internal attrs (_class, _output_shapes) pass through
    if (!def.FindAttr(name)) {
      return InvalidArgument("NodeDef " + who + " mentions attr '" + name + "' not in the op's signature");
    }
  }
  // How many inputs each argument takes: a list argument's length comes from its number attr, or
  // from the inputs left over when the attr is not given yet.
  int fixed = 0;
  const ArgDef* open_list = nullptr;
  for (const ArgDef& arg : def.inputs) {
    if (arg.number_attr.empty()) { ++fixed; continue; }
    auto it = spec->attrs.find(arg.number_attr);
    if (it != spec->attrs.end() && std::holds_alternative<int64_t>(it->second)) fixed += std::get<int64_t>(it->second);
    else open_list = &arg;
  }
  int n_inputs = static_cast<int>(spec->inputs.size());
  if (open_list) {
    if (n_inputs < fixed) {
      return InvalidArgument("node " + who + " has " + std::to_string(n_inputs) + " inputs, expected at least " + std::to_string(fixed));
    }
    spec->attrs[open_list->number_attr] = static_cast<int64_t>(n_inputs - fixed);
  } else if (n_inputs != fixed) {
    return InvalidArgument("node " + who + " has " + std::to_string(n_inputs) + " inputs, but the op takes " + std::to_string(fixed));
  }
  // Dtypes: infer type attrs from inputs, check fixed types and consistency.
  int k = 0;
  for (const ArgDef& arg : def.inputs) {
    int count = arg.number_attr.empty() ? 1 : static_cast<int>(std::get<int64_t>(spec->attrs[arg.number_attr]));
    for (int j = 0; j < count; ++j, ++k) {
      const Output& in = spec->inputs[k];
      if (!in.node) return InvalidArgument("node " + who + ": input " + std::to_string(k) + " is null");
      const TensorType& t = in.type();
      if (arg.is_ref && !t.is_ref) {
        return InvalidArgument("Input '" + arg.name + "' of '" + def.name + "' Op requires l-value input (a variable), but got " +
                               in.node->DebugName() + " in node " + who);
      }
      DataType expected = arg.fixed_type;
      if (!arg.type_attr.empty()) {
        auto it = spec->attrs.find(arg.type_attr);
        if (it == spec->attrs.end()) {
          spec->attrs[arg.type_attr] = t.dtype;
          expected = t.dtype;
        } else if (const DataType* dt = std::get_if<DataType>(&it->second)) {
          expected = *dt;
        }
      }
      if (t.dtype != expected) {
        return InvalidArgument("Input '" + arg.name + "' of '" + def.name + "' Op has type " + DataTypeName(t.dtype) +
                               " that does not match expected type " + DataTypeName(expected) + " (input " + in.name() +
                               " of node " + who + ")");
      }
    }
  }
  // Defaults, required attrs, attr types and allowed dtypes.
  for (const AttrDef& a : def.attrs) {
    auto it = spec->attrs.find(a.name);
    if (it == spec->attrs.end()) {
      if (!a.default_value) return InvalidArgument("node " + who + " is missing required attr '" + a.name + "' (" + a.type + ")");
      spec->attrs[a.name] = *a.default_value;
      continue;
    }
    std::string got = AttrTypeName(it->second);
    bool empty_list = got.rfind("list(", 0) == 0 && a.type.rfind("list(", 0) == 0 &&
                      std::visit([](const auto& v) {
                        if constexpr (requires { v.empty(); v.begin(); }) return v.empty(); else return false;
                      }, it->second);
    if (got != a.type && !empty_list) {
      if (a.type == "float" && got == "int") {  // an int literal where a float is wanted is harmless
        it->second = static_cast<float>(std::get<int64_t>(it->second));
      } else {
        return InvalidArgument("attr '" + a.name + "' of node " + who + " has type " + got + ", expected " + a.type);
      }
    }
    if (empty_list && got != a.type) {  // normalize an empty list to the declared element type
      if (a.type == "list(int)") it->second = std::vector<int64_t>{};
      else if (a.type == "list(float)") it->second = std::vector<float>{};
      else if (a.type == "list(string)") it->second = std::vector<std::string>{};
      else if (a.type == "list(type)") it->second = std::vector<DataType>{};
      else if (a.type == "list(shape)") it->second = std::vector<Shape>{};
    }
    if (a.type == "type" && !a.allowed_types.empty()) {
      DataType dt = std::get<DataType>(it->second);
      if (std::find(a.allowed_types.begin(), a.allowed_types.end(), dt) == a.allowed_types.end()) {
        std::string allowed;
        for (DataType d : a.allowed_types) allowed += (allowed.empty() ? "" : ", ") + DataTypeName(d);
        return InvalidArgument("Value for attr '" + a.name + "' of " + DataTypeName(dt) +
                               " is not in the list of allowed values: " + allowed + " (node " + who + ")");
      }
    }
    if (a.minimum && a.type == "int" && std::get<int64_t>(it->second) < *a.minimum) {
      return InvalidArgument("Value for attr '" + a.name + "' of " + std::to_string(std::get<int64_t>(it->second)) +
                             " must be at least minimum " + std::to_string(*a.minimum) + " (node " + who + ")");
    }
  }
  return OkStatus();
}

StatusOr<Node*> Graph::Insert(NodeSpec spec, const OpDef* def) {
  if (spec.name.empty()) spec.name = UniqueName(def->name);
  if (by_name_.count(spec.name)) return AlreadyExists("a node named '" + spec.name + "' already exists in the graph");
  auto node = std::make_unique<Node>();
  node->id_ = static_cast<int>(nodes_.size());
  node->name_ = std::move(spec.name);
  node->def_ = def;
  node->device_ = std::move(spec.device);
  node->graph_ = this;
  node->inputs_ = std::move(spec.inputs);
  node->attrs_ = std::move(spec.attrs);
  for (Node* c : spec.control_inputs) {
    if (c && std::find(node->control_inputs_.begin(), node->control_inputs_.end(), c) == node->control_inputs_.end()) {
      node->control_inputs_.push_back(c);
    }
  }
  Node* raw = node.get();
  for (int i = 0; i < raw->num_inputs(); ++i) raw->inputs_[i].node->uses_.push_back({raw, i});
  for (Node* c : raw->control_inputs_) c->uses_.push_back({raw, -1});
  by_name_[raw->name_] = raw;
  name_counts_.try_emplace(raw->name_, 0);
  nodes_.push_back(std::move(node));
  ++num_live_;
  return raw;
}

StatusOr<Node*> Graph::AddNode(NodeSpec spec) {
  KILN_ASSIGN_OR_RETURN(const OpDef* def, OpRegistry::Global().Lookup(spec.op));
  if (spec.name.empty()) spec.name = UniqueName(def->name);
  KILN_RETURN_IF_ERROR(Validate(*def, &spec));
  KILN_ASSIGN_OR_RETURN(Node* node, Insert(std::move(spec), def));
  Status s = InferTypes(node);
  if (!s.ok()) {
    RemoveNode(node);  // a failed op construction leaves nothing behind (as in TF)
    return s;
  }
  return node;
}

Status Graph::InferNode(Node* node) {
  NodeSpec spec{node->name_, node->def().name, node->inputs_, {}, node->attrs_, ""};
  KILN_RETURN_IF_ERROR(Validate(node->def(), &spec));
  node->attrs_ = std::move(spec.attrs);
  return InferTypes(node);
}

Status Graph::InferTypes(Node* node) {
  const OpDef& def = node->def();
  std::vector<TensorType> outputs;
  for (const ArgDef& arg : def.outputs) {
    int count = arg.number_attr.empty() ? 1 : static_cast<int>(node->attr<int64_t>(arg.number_attr));
    DataType dt = arg.type_attr.empty() ? arg.fixed_type : node->attr<DataType>(arg.type_attr);
    for (int j = 0; j < count; ++j) outputs.push_back(TensorType{dt, Shape::UnknownRank(), arg.is_ref});
  }
  std::vector<std::shared_ptr<const Tensor>> values(outputs.size());
  if (def.shape_fn) {
    InferenceContext ctx(*node, &outputs, &values);
    KILN_RETURN_IF_ERROR(def.shape_fn(ctx));
  }
  node->output_types_ = std::move(outputs);
  node->known_values_ = std::move(values);

  // Compute small values at build time so shape functions downstream can read them.
  bool all_known = true;
  for (const auto& v : node->known_values_) all_known = all_known && v;
  if (all_known) return OkStatus();  // the shape function knew them (Const, Shape)
  if (def.is_stateful || !def.kernel || node->output_types_.empty()) return OkStatus();
  std::vector<Tensor> inputs;
  for (const Output& in : node->inputs_) {
    const Tensor* v = in.node->known_value(in.index);
    if (!v) return OkStatus();
    inputs.push_back(*v);
  }
  for (const TensorType& t : node->output_types_) {
    int64_t n = t.shape.num_elements();
    if (n < 0 || n > kMaxKnownValueElements || DataTypeSize(t.dtype) == 0 || t.is_ref) return OkStatus();
  }
  StatusOr<std::vector<Tensor>> folded = RunReferenceKernel(*node, inputs);
  if (!folded.ok()) return OkStatus();  // not knowable now; the runtime reports the error if it recurs
  for (size_t i = 0; i < folded->size(); ++i) {
    node->known_values_[i] = std::make_shared<const Tensor>(std::move((*folded)[i]));
  }
  return OkStatus();
}

Node* Graph::FindNode(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

StatusOr<Output> Graph::FindOutput(const std::string& tensor_name) const {
  std::string name = tensor_name;
  int index = 0;
  size_t colon = name.rfind(':');
  if (colon != std::string::npos) {
    std::string idx = name.substr(colon + 1);
    bool digits = !idx.empty() && std::all_of(idx.begin(), idx.end(), ::isdigit);
    if (!digits) return InvalidArgument("bad tensor name '" + tensor_name + "' (expected name or name:index)");
    index = std::stoi(idx);
    name = name.substr(0, colon);
  }
  Node* node = FindNode(name);
  if (!node) return NotFound("The name '" + tensor_name + "' refers to a Tensor which does not exist. The operation, '" + name + "', does not exist in the graph.");
  if (index >= node->num_outputs()) {
    return NotFound("The name '" + tensor_name + "' refers to a Tensor which does not exist: node " + node->DebugName() +
                    " has " + std::to_string(node->num_outputs()) + " outputs");
  }
  return Output(node, index);
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> out;
  out.reserve(num_live_);
  for (const auto& n : nodes_) if (n) out.push_back(n.get());
  return out;
}

void Graph::UpdateInput(Node* consumer, int input_index, Output new_source) {
  Output old = consumer->inputs_[input_index];
  auto& uses = old.node->uses_;
  for (auto it = uses.begin(); it != uses.end(); ++it) {
    if (it->node == consumer && it->input_index == input_index) { uses.erase(it); break; }
  }
  consumer->inputs_[input_index] = new_source;
  new_source.node->uses_.push_back({consumer, input_index});
}

void Graph::AddControlInput(Node* consumer, Node* dependency) {
  auto& c = consumer->control_inputs_;
  if (std::find(c.begin(), c.end(), dependency) != c.end()) return;
  c.push_back(dependency);
  dependency->uses_.push_back({consumer, -1});
}

void Graph::RemoveControlInput(Node* consumer, Node* dependency) {
  auto& c = consumer->control_inputs_;
  auto it = std::find(c.begin(), c.end(), dependency);
  if (it == c.end()) return;
  c.erase(it);
  auto& uses = dependency->uses_;
  for (auto u = uses.begin(); u != uses.end(); ++u) {
    if (u->node == consumer && u->input_index == -1) { uses.erase(u); break; }
  }
}

Status Graph::RenameNode(Node* node, const std::string& new_name) {
  if (node->name_ == new_name) return OkStatus();
  if (by_name_.count(new_name)) return AlreadyExists("cannot rename " + node->DebugName() + ": a node named '" + new_name + "' already exists");
  by_name_.erase(node->name_);
  node->name_ = new_name;
  by_name_[new_name] = node;
  name_counts_.try_emplace(new_name, 0);
  return OkStatus();
}

void Graph::RenumberNodes(const std::vector<Node*>& order) {
  std::vector<std::unique_ptr<Node>> renumbered;
  renumbered.reserve(order.size());
  for (Node* n : order) {
    renumbered.push_back(std::move(nodes_[n->id_]));
    n->id_ = static_cast<int>(renumbered.size()) - 1;
  }
  nodes_ = std::move(renumbered);
}

void Graph::RemoveNode(Node* node) {
  for (int i = 0; i < node->num_inputs(); ++i) {
    auto& uses = node->inputs_[i].node->uses_;
    uses.erase(std::remove_if(uses.begin(), uses.end(), [&](const Use& u) { return u.node == node; }), uses.end());
  }
  for (Node* c : node->control_inputs_) {
    auto& uses = c->uses_;
    uses.erase(std::remove_if(uses.begin(), uses.end(), [&](const Use& u) { return u.node == node; }), uses.end());
  }
  for (auto& [key, items] : collections_) items.erase(std::remove(items.begin(), items.end(), node), items.end());
  by_name_.erase(node->name_);
  nodes_[node->id_].reset();
  --num_live_;
}

bool Graph::IsNameUsed(const std::string& name) const { return name_counts_.count(name) > 0; }

std::string Graph::UniqueName(const std::string& base) {
  auto it = name_counts_.find(base);
  if (it == name_counts_.end()) {
    name_counts_[base] = 0;
    return base;
  }
  std::string candidate;
  do {
    candidate = base + "_" + std::to_string(++it->second);
  } while (name_counts_.count(candidate));
  name_counts_[candidate] = 0;
  return candidate;
}

void Graph::AddToCollection(const std::string& key, Node* node) { collections_[key].push_back(node); }

const std::vector<Node*>& Graph::GetCollection(const std::string& key) const {
  auto it = collections_.find(key);
  return it == collections_.end() ? kEmptyCollection : it->second;
}

}  // namespace kiln
