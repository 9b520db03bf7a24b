#include "graph/elementwise_expr.h"

#include <cstdio>

namespace kiln {
namespace {

// How an op's operand dtypes give its result dtype.
enum class TypeRule {
  kLeaf,      // kInput, kConstant: the node's own dtype
  kNumeric,   // operands of one dtype in {float, double, int32, int64}; result the same
  kFloat,     // operands of one dtype in {float, double}; result the same
  kCompare,   // operands of one dtype; result bool
  kLogical,   // bool operands; result bool
  kSelect,    // bool, T, T -> T
  kCast,      // any -> the node's dtype
};

struct ExprOpInfo {
  ExprOp op;
  const char* name;
  int arity;
  TypeRule rule;
};

// Indexed by ExprOp: the one table of per-primitive facts (the LLVM emitter has its own table of
// instructions, codegen/elementwise_emitter.cc).
constexpr ExprOpInfo kExprOpInfo[] = {
    {ExprOp::kInput, "input", 0, TypeRule::kLeaf},   {ExprOp::kConstant, "const", 0, TypeRule::kLeaf},
    {ExprOp::kAdd, "add", 2, TypeRule::kNumeric},    {ExprOp::kSub, "sub", 2, TypeRule::kNumeric},
    {ExprOp::kMul, "mul", 2, TypeRule::kNumeric},    {ExprOp::kDiv, "div", 2, TypeRule::kFloat},
    {ExprOp::kNeg, "neg", 1, TypeRule::kNumeric},    {ExprOp::kMax, "max", 2, TypeRule::kNumeric},
    {ExprOp::kMin, "min", 2, TypeRule::kNumeric},    {ExprOp::kAbs, "abs", 1, TypeRule::kNumeric},
    {ExprOp::kExp, "exp", 1, TypeRule::kFloat},      {ExprOp::kLog, "log", 1, TypeRule::kFloat},
    {ExprOp::kTanh, "tanh", 1, TypeRule::kFloat},    {ExprOp::kSqrt, "sqrt", 1, TypeRule::kFloat},
    {ExprOp::kRsqrt, "rsqrt", 1, TypeRule::kFloat},  {ExprOp::kFloor, "floor", 1, TypeRule::kFloat},
    {ExprOp::kLt, "lt", 2, TypeRule::kCompare},      {ExprOp::kLe, "le", 2, TypeRule::kCompare},
    {ExprOp::kGt, "gt", 2, TypeRule::kCompare},      {ExprOp::kGe, "ge", 2, TypeRule::kCompare},
    {ExprOp::kEq, "eq", 2, TypeRule::kCompare},      {ExprOp::kNe, "ne", 2, TypeRule::kCompare},
    {ExprOp::kSelect, "select", 3, TypeRule::kSelect}, {ExprOp::kAnd, "and", 2, TypeRule::kLogical},
    {ExprOp::kOr, "or", 2, TypeRule::kLogical},      {ExprOp::kNot, "not", 1, TypeRule::kLogical},
    {ExprOp::kCast, "cast", 1, TypeRule::kCast},
};
static_assert(sizeof(kExprOpInfo) / sizeof(kExprOpInfo[0]) == kNumExprOps, "one kExprOpInfo row per ExprOp");

constexpr bool RowsInEnumOrder() {
  for (int i = 0; i < kNumExprOps; ++i) {
    if (static_cast<int>(kExprOpInfo[i].op) != i) return false;
  }
  return true;
}
static_assert(RowsInEnumOrder(), "kExprOpInfo rows must follow ExprOp's order");

const ExprOpInfo& Info(ExprOp op) { return kExprOpInfo[static_cast<int>(op)]; }

bool IsNumeric(DataType t) { return t == DT_FLOAT || t == DT_DOUBLE || t == DT_INT32 || t == DT_INT64; }

// The result dtype of `op` over `args`, or an error saying which rule failed. `cast_to` is the
// target of kCast.
StatusOr<DataType> ResultType(ExprOp op, const std::vector<DataType>& args, DataType cast_to) {
  const ExprOpInfo& info = Info(op);
  auto fail = [&](const std::string& why) -> Status {
    std::string types;
    for (DataType t : args) types += (types.empty() ? "" : ", ") + DataTypeName(t);
    return InvalidArgument(std::string(info.name) + "(" + types + "): " + why);
  };
  for (DataType t : args) {
    if (!IsExprDataType(t)) return fail(DataTypeName(t) + " is not an expression dtype (float, double, int32, int64, bool)");
  }
  auto same = [&](size_t from) {
    for (size_t i = from + 1; i < args.size(); ++i) if (args[i] != args[from]) return false;
    return true;
  };
  switch (info.rule) {
    case TypeRule::kLeaf:
      return fail("inputs and constants have no operands");
    case TypeRule::kNumeric:
      if (!same(0)) return fail("operands must have one dtype");
      if (!IsNumeric(args[0])) return fail("needs float, double, int32 or int64 operands");
      return args[0];
    case TypeRule::kFloat:
      if (!same(0)) return fail("operands must have one dtype");
      if (!IsFloating(args[0])) return fail("needs float or double operands");
      return args[0];
    case TypeRule::kCompare:
      if (!same(0)) return fail("operands must have one dtype");
      return DT_BOOL;
    case TypeRule::kLogical:
      for (DataType t : args) if (t != DT_BOOL) return fail("needs bool operands");
      return DT_BOOL;
    case TypeRule::kSelect:
      if (args[0] != DT_BOOL) return fail("the condition must be bool");
      if (!same(1)) return fail("both branches must have one dtype");
      return args[1];
    case TypeRule::kCast:
      if (!IsExprDataType(cast_to)) return fail("cannot cast to " + DataTypeName(cast_to));
      return cast_to;
  }
  return fail("unknown primitive");
}

std::string FormatConstant(const ExprNode& n) {
  if (!IsFloating(n.dtype)) return std::to_string(n.int_value);
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", n.float_value);  // round-trips a double exactly
  return text;
}

}  // namespace

const char* ExprOpName(ExprOp op) { return Info(op).name; }
int ExprOpArity(ExprOp op) { return Info(op).arity; }

bool IsExprDataType(DataType dtype) { return IsNumeric(dtype) || dtype == DT_BOOL; }

std::string ElementwiseExpr::ToString() const {
  std::string out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ExprNode& n = nodes[i];
    out += "%" + std::to_string(i) + " = " + ExprOpName(n.op);
    if (n.op == ExprOp::kInput) out += " " + std::to_string(n.input_index);
    if (n.op == ExprOp::kConstant) out += " " + FormatConstant(n);
    for (int a = 0; a < ExprOpArity(n.op); ++a) out += std::string(a ? ", " : " ") + "%" + std::to_string(n.args[a]);
    out += " : " + DataTypeName(n.dtype) + "\n";
  }
  out += "outputs";
  for (size_t i = 0; i < outputs.size(); ++i) out += std::string(i ? ", " : " ") + "%" + std::to_string(outputs[i]);
  return out;
}

Status ElementwiseExpr::Validate() const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ExprNode& n = nodes[i];
    auto fail = [&](const std::string& why) {
      return InvalidArgument("expression node %" + std::to_string(i) + " (" + ExprOpName(n.op) + "): " + why);
    };
    if (static_cast<int>(n.op) >= kNumExprOps) return fail("unknown primitive");
    if (n.op == ExprOp::kInput) {
      if (n.input_index < 0 || n.input_index >= static_cast<int>(input_dtypes.size())) {
        return fail("input " + std::to_string(n.input_index) + " of " + std::to_string(input_dtypes.size()));
      }
      if (input_dtypes[n.input_index] != n.dtype) {
        return fail("has dtype " + DataTypeName(n.dtype) + " but input " + std::to_string(n.input_index) + " is " +
                    DataTypeName(input_dtypes[n.input_index]));
      }
      continue;
    }
    if (n.op == ExprOp::kConstant) {
      if (!IsExprDataType(n.dtype)) return fail(DataTypeName(n.dtype) + " is not an expression dtype");
      continue;
    }
    std::vector<DataType> args;
    for (int a = 0; a < ExprOpArity(n.op); ++a) {
      if (n.args[a] < 0 || n.args[a] >= static_cast<int32_t>(i)) return fail("operand %" + std::to_string(n.args[a]) + " is not an earlier node");
      args.push_back(nodes[n.args[a]].dtype);
    }
    StatusOr<DataType> type = ResultType(n.op, args, n.dtype);
    if (!type.ok()) return fail(type.status().message());
    if (*type != n.dtype) return fail("result is " + DataTypeName(*type) + ", node says " + DataTypeName(n.dtype));
  }
  for (int32_t id : outputs) {
    if (id < 0 || id >= static_cast<int32_t>(nodes.size())) return InvalidArgument("expression output %" + std::to_string(id) + " is not a node");
  }
  return OkStatus();
}

ExprValue ExprBuilder::Append(ExprNode node) {
  nodes_.push_back(node);
  return ExprValue{static_cast<int32_t>(nodes_.size() - 1)};
}

ExprValue ExprBuilder::Fail(const std::string& message) {
  SetError(InvalidArgument(message));
  return ExprValue{};
}

void ExprBuilder::SetError(Status error) {
  if (status_.ok() && !error.ok()) status_ = std::move(error);
}

ExprValue ExprBuilder::Input(int index, DataType dtype) {
  if (!status_.ok()) return ExprValue{};
  if (index < 0) return Fail("input index " + std::to_string(index) + " is negative");
  if (!IsExprDataType(dtype)) {
    SetError(Unimplemented("input " + std::to_string(index) + " has dtype " + DataTypeName(dtype) +
                           ", which elementwise expressions do not support (float, double, int32, int64, bool)"));
    return ExprValue{};
  }
  if (index >= static_cast<int>(input_dtypes_.size())) {
    input_dtypes_.resize(index + 1, DT_INVALID);
    input_nodes_.resize(index + 1, -1);
  }
  if (input_nodes_[index] >= 0) {
    if (input_dtypes_[index] != dtype) {
      return Fail("input " + std::to_string(index) + " is " + DataTypeName(input_dtypes_[index]) + ", not " + DataTypeName(dtype));
    }
    return ExprValue{input_nodes_[index]};
  }
  ExprNode n;
  n.op = ExprOp::kInput;
  n.dtype = dtype;
  n.input_index = index;
  ExprValue v = Append(n);
  input_dtypes_[index] = dtype;
  input_nodes_[index] = v.id;
  return v;
}

ExprValue ExprBuilder::Constant(double value, DataType dtype) {
  if (!status_.ok()) return ExprValue{};
  if (!IsExprDataType(dtype)) return Fail("a constant cannot have dtype " + DataTypeName(dtype));
  ExprNode n;
  n.op = ExprOp::kConstant;
  n.dtype = dtype;
  if (IsFloating(dtype)) {
    // A float constant is the float nearest the value, as T(value) in a reference kernel.
    n.float_value = dtype == DT_FLOAT ? static_cast<double>(static_cast<float>(value)) : value;
  } else if (dtype == DT_BOOL) {
    n.int_value = value != 0;
  } else {
    n.int_value = dtype == DT_INT32 ? static_cast<int32_t>(value) : static_cast<int64_t>(value);
  }
  return Append(n);
}

ExprValue ExprBuilder::ConstantLike(ExprValue x, double value) {
  if (!status_.ok() || !x.valid()) return Fail("constant like an invalid value");
  return Constant(value, dtype(x));
}

ExprValue ExprBuilder::Cast(ExprValue x, DataType to) {
  if (!status_.ok()) return ExprValue{};
  if (!x.valid()) return Fail("cast of an invalid value");
  StatusOr<DataType> type = ResultType(ExprOp::kCast, {dtype(x)}, to);
  if (!type.ok()) return Fail(type.status().message());
  if (*type == dtype(x)) return x;  // a no-op cast is the value itself
  ExprNode n;
  n.op = ExprOp::kCast;
  n.dtype = *type;
  n.args[0] = x.id;
  return Append(n);
}

ExprValue ExprBuilder::Apply(ExprOp op, std::initializer_list<ExprValue> args) {
  if (!status_.ok()) return ExprValue{};
  const ExprOpInfo& info = Info(op);
  if (info.rule == TypeRule::kLeaf || info.rule == TypeRule::kCast) {
    return Fail(std::string("Apply cannot build ") + info.name + " (use Input, Constant or Cast)");
  }
  if (static_cast<int>(args.size()) != info.arity) {
    return Fail(std::string(info.name) + " takes " + std::to_string(info.arity) + " operands, not " + std::to_string(args.size()));
  }
  ExprNode n;
  n.op = op;
  std::vector<DataType> types;
  int a = 0;
  for (ExprValue v : args) {
    if (!v.valid() || v.id >= static_cast<int32_t>(nodes_.size())) return Fail(std::string(info.name) + " of an invalid value");
    types.push_back(dtype(v));
    n.args[a++] = v.id;
  }
  StatusOr<DataType> type = ResultType(op, types, DT_INVALID);
  if (!type.ok()) return Fail(type.status().message());
  n.dtype = *type;
  return Append(n);
}

StatusOr<ElementwiseExpr> ExprBuilder::Build(const std::vector<ExprValue>& outputs) && {
  KILN_RETURN_IF_ERROR(status_);
  ElementwiseExpr expr;
  for (ExprValue v : outputs) {
    if (!v.valid() || v.id >= static_cast<int32_t>(nodes_.size())) return InvalidArgument("an expression output is invalid");
    expr.outputs.push_back(v.id);
  }
  expr.nodes = std::move(nodes_);
  expr.input_dtypes = std::move(input_dtypes_);
  return expr;
}

}  // namespace kiln
