// OpDef: everything about one op in one place — signature (TF's names, so TF graphs load), attrs
// with defaults, shape function, gradient function, reference kernel, and the lowering the compiler
// uses. Ops are declared with OpDefBuilder chains in graph/ops/*.cc:
//
//   Op("AddV2").Input("x: T").Input("y: T").Output("z: T").Attr("T: {float, double, int32, int64}")
//       .Shape(BroadcastShape).Grad(AddGrad).Kernel(AddKernel)
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graph/attr_value.h"
#include "graph/elementwise_expr.h"
#include "graph/status.h"
#include "graph/types.h"

namespace kiln {

class Node;
struct Output;
class InferenceContext;
class KernelContext;

// One input or output argument. Its dtype is fixed, or named by a "type" attr; a list argument
// repeats `number_attr` times (Pack's "values: N * T").
struct ArgDef {
  std::string name;
  DataType fixed_type = DT_INVALID;
  std::string type_attr;
  std::string number_attr;
  bool is_ref = false;
};

struct AttrDef {
  std::string name;
  std::string type;  // "int", "float", "bool", "string", "type", "shape", "tensor", "list(int)", ...
  std::optional<AttrValue> default_value;
  std::vector<DataType> allowed_types;  // for "type" attrs; empty = any
  std::optional<int64_t> minimum;       // for "int" attrs ("N: int >= 1")
};

// Shape function: reads input types/values and attrs, sets output shapes. Output dtypes are set
// from the signature before it runs.
using ShapeFn = std::function<Status(InferenceContext&)>;
// Gradient function: given the forward node and the gradients of its outputs (dy; an output nobody
// differentiates gets zeros), adds nodes computing the gradient of each data input to dx
// (Output{} for an input with no gradient).
using GradFn = std::function<Status(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx)>;
// Reference kernel: plain, obviously-correct C++ over preallocated outputs.
using KernelFn = std::function<Status(KernelContext&)>;

// What an elementwise op computes, as primitive expressions (graph/elementwise_expr.h): given the
// node (for attrs and dtypes) and the values of its inputs, appends to `b` the nodes computing each
// output and sets (*outputs)[i] (the caller sizes it to node.num_outputs()). Type errors go to
// b.status(); a lowering may also return an error itself (an attr it cannot lower).
using ElementwiseLoweringFn = std::function<Status(const Node& node, ExprBuilder& b, const std::vector<ExprValue>& inputs,
                                                   std::vector<ExprValue>* outputs)>;

// How the compiler lowers the op, declared with the op rather than in a switch elsewhere.
struct OpLowering {
  // kNothing: the op computes nothing at run time (NoOp, whose control inputs are what runs;
  // VariableV2, whose output the plan binds to the variable), so a compiled plan gives it no step.
  enum class Kind { kReferenceOnly, kElementwise, kReduction, kLibrary, kNothing };
  Kind kind = Kind::kReferenceOnly;
  std::string library_kernel;  // e.g. "gemm" for kLibrary
  // For kElementwise: the op's expression. Null means the fuser leaves the op to its reference
  // kernel (an elementwise op nobody has written a lowering for yet, or one the primitives cannot
  // express exactly enough, such as Pow and FloorMod).
  ElementwiseLoweringFn elementwise;
  // For kElementwise: how many of the op's inputs (the first ones) the expression reads; -1: all.
  // The others are operands the output's shape already says everything about (BroadcastTo's shape).
  int expr_inputs = -1;
};

// Dataflow control ops the executor implements itself, as TF's executor does: Switch forwards its
// data to one output and marks the other dead; Merge forwards its first live input. Deadness
// propagates through every other op (an op with a dead input or control input is dead and does not
// run), which is how an untaken cond branch does nothing.
enum class ControlFlowKind { kNone, kSwitch, kMerge };

struct OpDef {
  std::string name;
  std::vector<ArgDef> inputs;
  std::vector<ArgDef> outputs;
  std::vector<AttrDef> attrs;
  ShapeFn shape_fn;
  GradFn grad_fn;
  KernelFn kernel;
  OpLowering lowering;
  bool is_stateful = false;         // never folded, merged or pruned as pure (variables, random)
  bool is_commutative = false;
  bool not_differentiable = false;  // gradient is None without error (ArgMax, Equal, Shape, ...)
  // Output 0 is input 0 itself when that input is a variable ref: TF1's `W/read` Identity shares
  // the variable's buffer instead of copying, so later in-place updates show through it.
  bool forwards_ref_input = false;
  // Output 0 holds input 0's elements unchanged in row-major order (Identity, Reshape, ExpandDims,
  // ...): an Executable may give it input 0's buffer instead of copying, as TF forwards buffers.
  bool shares_input_buffer = false;
  ControlFlowKind control_flow = ControlFlowKind::kNone;
  std::string summary;

  const AttrDef* FindAttr(const std::string& attr_name) const;
};

class OpDefBuilder {
 public:
  explicit OpDefBuilder(std::string name);
  // Argument specs: "x: T", "x: float", "values: N * T", "ref: Ref(T)".
  OpDefBuilder& Input(std::string spec);
  OpDefBuilder& Output(std::string spec);
  // Attr specs: "T: {float, double}", "T: type = DT_FLOAT", "keep_dims: bool = false",
  // "N: int >= 1", "data_format: string = \"NHWC\"", "strides: list(int)", "shape: shape".
  OpDefBuilder& Attr(std::string spec);
  OpDefBuilder& Shape(ShapeFn fn);
  OpDefBuilder& Grad(GradFn fn);
  OpDefBuilder& Kernel(KernelFn fn);
  OpDefBuilder& Lowering(OpLowering lowering);
  // Lowering(kElementwise with `fn`): the op's expression for the fuser, over the first
  // `expr_inputs` inputs (-1: all of them; see OpLowering::expr_inputs).
  OpDefBuilder& Elementwise(ElementwiseLoweringFn fn, int expr_inputs = -1);
  OpDefBuilder& Stateful();
  OpDefBuilder& Commutative();
  OpDefBuilder& NotDifferentiable();
  OpDefBuilder& ForwardsRefInput();
  OpDefBuilder& SharesInputBuffer();
  OpDefBuilder& ControlFlow(ControlFlowKind kind);
  OpDefBuilder& Doc(std::string summary);

  // Parses the specs. Specs are code, not input: a malformed one is a programming error.
  StatusOr<OpDef> Finalize() const;

 private:
  OpDef def_;
  std::vector<std::string> input_specs_, output_specs_, attr_specs_;
};

inline OpDefBuilder Op(std::string name) { return OpDefBuilder(std::move(name)); }

// Parses an attr default/value literal of the given attr type ("false", "[1,1,1,1]", "\"NHWC\"").
StatusOr<AttrValue> ParseAttrLiteral(const std::string& type, const std::string& text);

}  // namespace kiln
