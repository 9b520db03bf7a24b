// The primitive expression IR that elementwise ops lower to and the code generator compiles: an SSA
// list of a small set of primitive ops over a cluster's inputs and constants, each value typed.
// Ops decompose into these primitives in their own lowering functions (graph/ops/*.cc, OpLowering)
// so the LLVM emitter only knows the primitives (tinygrad's codegen/decomp; DESIGN.md "Decompose
// before codegen"): Sigmoid is 1 / (1 + exp(-x)), Relu is select(x < 0, 0, x).
//
//   ExprBuilder b;
//   ExprValue x = b.Input(0, DT_FLOAT);
//   ExprValue y = b.Select(b.Lt(x, b.ConstantLike(x, 0)), b.ConstantLike(x, 0), x);
//   StatusOr<ElementwiseExpr> expr = std::move(b).Build({y});
//
// Every value has one dtype of float, double, int32, int64 or bool; binary ops take operands of
// one dtype (casts are explicit). The semantics of each primitive are those of the C++ expression
// in kExprOpInfo's comment, evaluated in the value's dtype with IEEE rounding and no fast-math, so
// the reference kernels (plain C++) and JIT code agree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/status.h"
#include "graph/types.h"

namespace kiln {

enum class ExprOp : uint8_t {
  kInput,     // the cluster's input `input_index`
  kConstant,  // float_value (float, double) or int_value (int32, int64, bool)
  // Arithmetic, operands and result of one numeric dtype (floats only where noted).
  kAdd, kSub, kMul,
  kDiv,       // floats only (TF's RealDiv); integer division needs a zero check the primitives lack
  kNeg,
  kMax,       // a >= b ? a : b (TF's Maximum kernel: b when either is NaN, as C++ evaluates it)
  kMin,       // a <= b ? a : b
  kAbs,       // |x|; for floats the sign bit is cleared (fabs), so abs(-0) = +0
  // Floating-point functions; exp, log and tanh are polynomial approximations in the JIT.
  kExp, kLog, kTanh, kSqrt,
  kRsqrt,     // 1 / sqrt(x), two correctly rounded steps
  kFloor,
  // Comparisons: operands of one dtype, result bool. Ordered (false on NaN) except kNe (true).
  kLt, kLe, kGt, kGe, kEq, kNe,
  kSelect,    // cond ? t : e, cond bool, t and e of one dtype
  kAnd, kOr, kNot,  // bool
  kCast,      // to the node's dtype with TF's Cast semantics (float -> int truncates toward zero,
              // saturating, NaN -> 0; x -> bool is x != 0; bool -> x is 0 or 1)
};
inline constexpr int kNumExprOps = static_cast<int>(ExprOp::kCast) + 1;

// "add", "exp", ... as ToString prints them.
const char* ExprOpName(ExprOp op);
// Operand count (0 for inputs and constants).
int ExprOpArity(ExprOp op);

struct ExprNode {
  ExprOp op = ExprOp::kConstant;
  DataType dtype = DT_INVALID;  // of the result
  int32_t args[3] = {-1, -1, -1};  // earlier nodes' ids; ExprOpArity(op) of them are used
  int32_t input_index = -1;        // kInput
  double float_value = 0;          // kConstant of float or double
  int64_t int_value = 0;           // kConstant of int32, int64 or bool
};

// A finished expression: nodes in SSA order (every arg refers to an earlier node), the cluster's
// input dtypes (input i is buffer i), and the node ids of the outputs (an id may repeat).
struct ElementwiseExpr {
  std::vector<ExprNode> nodes;
  std::vector<DataType> input_dtypes;
  std::vector<int32_t> outputs;

  DataType output_dtype(int i) const { return nodes[outputs[i]].dtype; }
  // One line per node, "%3 = add %1, %2 : float", then "outputs %3, %5": stable, so it can key
  // a kernel cache and read in a test.
  std::string ToString() const;
  // Checks the SSA order, arities, input indices and every typing rule (ExprBuilder's, for
  // expressions built by hand); an error names the node.
  Status Validate() const;
};

// Whether `dtype` can be an expression value: float, double, int32, int64, bool.
bool IsExprDataType(DataType dtype);

// A handle to a node of the expression being built. Default-constructed (or the result of an op
// with an error) it is invalid, and ops on an invalid value give invalid values.
struct ExprValue {
  int32_t id = -1;
  bool valid() const { return id >= 0; }
};

// Builds an ElementwiseExpr. Type errors do not throw: the first one is kept in status() (as a
// Scope keeps its build status) and every later op returns an invalid value, so lowering
// functions can chain ops and check once at the end.
class ExprBuilder {
 public:
  // Input `index` of the cluster, of `dtype`. Asking twice for one index returns the same value;
  // asking with another dtype is an error.
  ExprValue Input(int index, DataType dtype);
  ExprValue Constant(double value, DataType dtype);
  // A constant of x's dtype.
  ExprValue ConstantLike(ExprValue x, double value);

  ExprValue Add(ExprValue a, ExprValue b) { return Apply(ExprOp::kAdd, {a, b}); }
  ExprValue Sub(ExprValue a, ExprValue b) { return Apply(ExprOp::kSub, {a, b}); }
  ExprValue Mul(ExprValue a, ExprValue b) { return Apply(ExprOp::kMul, {a, b}); }
  ExprValue Div(ExprValue a, ExprValue b) { return Apply(ExprOp::kDiv, {a, b}); }
  ExprValue Neg(ExprValue x) { return Apply(ExprOp::kNeg, {x}); }
  ExprValue Max(ExprValue a, ExprValue b) { return Apply(ExprOp::kMax, {a, b}); }
  ExprValue Min(ExprValue a, ExprValue b) { return Apply(ExprOp::kMin, {a, b}); }
  ExprValue Abs(ExprValue x) { return Apply(ExprOp::kAbs, {x}); }
  ExprValue Exp(ExprValue x) { return Apply(ExprOp::kExp, {x}); }
  ExprValue Log(ExprValue x) { return Apply(ExprOp::kLog, {x}); }
  ExprValue Tanh(ExprValue x) { return Apply(ExprOp::kTanh, {x}); }
  ExprValue Sqrt(ExprValue x) { return Apply(ExprOp::kSqrt, {x}); }
  ExprValue Rsqrt(ExprValue x) { return Apply(ExprOp::kRsqrt, {x}); }
  ExprValue Floor(ExprValue x) { return Apply(ExprOp::kFloor, {x}); }
  ExprValue Lt(ExprValue a, ExprValue b) { return Apply(ExprOp::kLt, {a, b}); }
  ExprValue Le(ExprValue a, ExprValue b) { return Apply(ExprOp::kLe, {a, b}); }
  ExprValue Gt(ExprValue a, ExprValue b) { return Apply(ExprOp::kGt, {a, b}); }
  ExprValue Ge(ExprValue a, ExprValue b) { return Apply(ExprOp::kGe, {a, b}); }
  ExprValue Eq(ExprValue a, ExprValue b) { return Apply(ExprOp::kEq, {a, b}); }
  ExprValue Ne(ExprValue a, ExprValue b) { return Apply(ExprOp::kNe, {a, b}); }
  ExprValue Select(ExprValue cond, ExprValue t, ExprValue e) { return Apply(ExprOp::kSelect, {cond, t, e}); }
  ExprValue And(ExprValue a, ExprValue b) { return Apply(ExprOp::kAnd, {a, b}); }
  ExprValue Or(ExprValue a, ExprValue b) { return Apply(ExprOp::kOr, {a, b}); }
  ExprValue Not(ExprValue x) { return Apply(ExprOp::kNot, {x}); }
  ExprValue Cast(ExprValue x, DataType dtype);

  // Any primitive but kInput, kConstant and kCast, with the typing rules checked.
  ExprValue Apply(ExprOp op, std::initializer_list<ExprValue> args);

  DataType dtype(ExprValue v) const { return v.valid() ? nodes_[v.id].dtype : DT_INVALID; }
  const Status& status() const { return status_; }
  // Records an error from outside (a lowering function's own check); the first error wins.
  void SetError(Status error);

  // The expression computing `outputs`, or the first error. Inputs never asked for are
  // DT_INVALID in input_dtypes unless declared with Input.
  StatusOr<ElementwiseExpr> Build(const std::vector<ExprValue>& outputs) &&;

 private:
  ExprValue Append(ExprNode node);
  ExprValue Fail(const std::string& message);

  std::vector<ExprNode> nodes_;
  std::vector<DataType> input_dtypes_;
  std::vector<int32_t> input_nodes_;  // per input index, its kInput node or -1
  Status status_;
};

}  // namespace kiln
