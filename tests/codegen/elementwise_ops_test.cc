// Every op with an elementwise lowering, compiled alone by the JIT and run on random inputs (with
// IEEE specials mixed in: zeros of both signs, infinities, NaN, denormals, the largest values),
// against its reference kernel run by a Session. Binary ops broadcast. The tolerance of each case
// is stated with it: 0 means equal values (NaN equals NaN); ops built on exp, log or tanh allow the
// few ulps by which the JIT's polynomials and libm may each miss the exact result.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "graph/builder/kiln.h"
#include "graph/elementwise_lowering.h"
#include "graph/op_registry.h"
#include "runtime/session.h"
#include "tests/codegen/elementwise_test_util.h"

namespace kiln::codegen {
namespace {

using testing::CompileOrFail;
using testing::MakeJit;
using testing::RunKernel;
using testing::UlpError;

struct OpCase {
  std::string op;
  std::vector<DataType> dtypes;                // one per input
  std::vector<std::vector<int64_t>> shapes;    // one per input
  AttrMap attrs = {};
  double ulps = 0;        // allowed distance from the reference, in ulps of the reference value
  double abs = 0;         // or absolutely (for results the reference rounds to 0)
  double lo = -3, hi = 3;  // where the random finite inputs lie
  bool ties = false;      // round inputs to halves so comparisons meet equal values
  std::string label = "";  // distinguishes cases of one op and dtype
  std::vector<Tensor> operands = {};  // Consts after the inputs, which the expression does not read

  std::string Name() const {
    std::string name = op;
    for (DataType t : dtypes) name += "_" + DataTypeName(t);
    return name + label;
  }
};

std::ostream& operator<<(std::ostream& os, const OpCase& c) { return os << c.Name(); }

template <typename T>
T Special(std::mt19937& rng) {
  using L = std::numeric_limits<T>;
  const T values[] = {T(0), -T(0), L::infinity(), -L::infinity(), L::quiet_NaN(), L::denorm_min(),
                      -L::denorm_min(), L::min() / 3, L::max(), -L::max(), T(1), T(-1)};
  return values[std::uniform_int_distribution<int>(0, std::size(values) - 1)(rng)];
}

Tensor RandomInput(const OpCase& c, DataType dtype, const std::vector<int64_t>& dims, std::mt19937& rng) {
  Tensor t(dtype, dims);
  std::uniform_real_distribution<double> u(c.lo, c.hi);
  std::bernoulli_distribution special(0.05);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    double v = u(rng);
    if (c.ties) v = std::round(2 * v) / 2;
    switch (dtype) {
      case DT_FLOAT: t.data<float>()[i] = special(rng) ? Special<float>(rng) : static_cast<float>(v); break;
      case DT_DOUBLE: t.data<double>()[i] = special(rng) ? Special<double>(rng) : v; break;
      case DT_INT32: t.data<int32_t>()[i] = static_cast<int32_t>(std::round(v * 3)); break;
      case DT_INT64: t.data<int64_t>()[i] = static_cast<int64_t>(std::round(v * 3)) << 33; break;
      case DT_BOOL: t.data<bool>()[i] = v > (c.lo + c.hi) / 2; break;
      default: ADD_FAILURE() << "no random " << DataTypeName(dtype);
    }
  }
  return t;
}

// Element i of two tensors of one dtype agree within the case's tolerance; describes it if not.
template <typename T>
std::string Compare(const OpCase& c, const Tensor& got, const Tensor& want, int64_t i) {
  const T g = got.data<T>()[i], w = want.data<T>()[i];
  bool ok;
  if constexpr (std::is_floating_point_v<T>) {
    ok = UlpError<T>(g, w) <= c.ulps || std::fabs(static_cast<double>(g) - static_cast<double>(w)) <= c.abs;
  } else {
    ok = g == w;
  }
  if (ok) return "";
  return "element " + std::to_string(i) + ": JIT " + std::to_string(static_cast<double>(g)) + ", reference " +
         std::to_string(static_cast<double>(w));
}

double ElementAsDouble(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DT_FLOAT: return t.data<float>()[i];
    case DT_DOUBLE: return t.data<double>()[i];
    case DT_INT32: return t.data<int32_t>()[i];
    case DT_INT64: return static_cast<double>(t.data<int64_t>()[i]);
    case DT_BOOL: return t.data<bool>()[i];
    default: return std::nan("");
  }
}

class ElementwiseOpTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(ElementwiseOpTest, JitMatchesTheReferenceKernel) {
  const OpCase& c = GetParam();
  Graph g;
  DefaultGraphGuard guard{g};
  std::vector<Output> inputs;
  for (size_t i = 0; i < c.dtypes.size(); ++i) {
    inputs.push_back(placeholder(c.dtypes[i], Shape(c.shapes[i]), "x" + std::to_string(i)));
  }
  std::vector<Output> all_inputs = inputs;
  for (const Tensor& operand : c.operands) all_inputs.push_back(constant(operand));
  Output y = MakeOp(c.op, all_inputs, c.attrs);
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  ASSERT_TRUE(HasElementwiseLowering(*y.node));

  std::mt19937 rng(std::hash<std::string>()(c.Name()) & 0xffffffff);
  FeedDict feeds;
  std::vector<Tensor> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    values.push_back(RandomInput(c, c.dtypes[i], c.shapes[i], rng));
    feeds.push_back({inputs[i], values.back()});
  }
  Session session(g);
  StatusOr<Tensor> want = session.run(y, feeds);
  ASSERT_TRUE(want.ok()) << want.status().ToString();

  StatusOr<ElementwiseExpr> expr = LowerElementwiseCluster(inputs, {y.node}, {y});
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster cluster{c.Name(), *expr, want->dims(), c.shapes};
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  // Two ranges, split off the vector grid, as the runtime's threads would call it.
  Tensor got = RunKernel(k, cluster, values, {k.num_elements / 3})[0];
  ASSERT_EQ(got.dtype(), want->dtype());
  int failures = 0;
  for (int64_t i = 0; i < got.num_elements() && failures < 5; ++i) {
    std::string problem;
    switch (got.dtype()) {
      case DT_FLOAT: problem = Compare<float>(c, got, *want, i); break;
      case DT_DOUBLE: problem = Compare<double>(c, got, *want, i); break;
      case DT_INT32: problem = Compare<int32_t>(c, got, *want, i); break;
      case DT_INT64: problem = Compare<int64_t>(c, got, *want, i); break;
      case DT_BOOL: problem = Compare<bool>(c, got, *want, i); break;
      default: problem = "unexpected dtype";
    }
    if (problem.empty()) continue;
    ++failures;
    std::string in_values;
    for (const Tensor& v : values) {
      in_values += v.num_elements() == got.num_elements() ? " " + std::to_string(ElementAsDouble(v, i)) : " (broadcast)";
    }
    ADD_FAILURE() << c.Name() << " " << problem << "; inputs" << in_values << "\n" << expr->ToString();
  }
}

const std::vector<DataType> kFloats = {DT_FLOAT, DT_DOUBLE};
const std::vector<int64_t> kRows = {6, 35}, kFlat = {1031};

// A case per dtype: `n` inputs of dtype t and the given shapes.
void AddPerType(std::vector<OpCase>* cases, const OpCase& base, const std::vector<DataType>& types) {
  for (DataType t : types) {
    OpCase c = base;
    c.dtypes.assign(c.shapes.size(), t);
    cases->push_back(c);
  }
}

std::vector<OpCase> AllCases() {
  std::vector<OpCase> cases;
  const std::vector<DataType> numeric = {DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64};
  // Broadcasting binary arithmetic: a row vector, a column and a scalar against a matrix.
  for (const char* op : {"Add", "AddV2", "Sub", "Mul", "Maximum", "Minimum", "SquaredDifference"}) {
    AddPerType(&cases, {.op = op, .shapes = {kRows, {35}}, .ties = true}, numeric);
    AddPerType(&cases, {.op = op, .shapes = {{6, 1}, kRows}, .ties = true, .label = "_column"}, {DT_FLOAT});
  }
  AddPerType(&cases, {.op = "RealDiv", .shapes = {kRows, {35}}}, kFloats);
  AddPerType(&cases, {.op = "RealDiv", .shapes = {{}, kFlat}, .label = "_scalar"}, kFloats);
  for (const char* op : {"Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual"}) {
    AddPerType(&cases, {.op = op, .shapes = {kRows, {6, 1}}, .ties = true}, {DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64});
  }
  AddPerType(&cases, {.op = "Equal", .shapes = {kRows, {35}}}, {DT_BOOL});
  AddPerType(&cases, {.op = "NotEqual", .shapes = {kRows, {35}}}, {DT_BOOL});
  AddPerType(&cases, {.op = "LogicalAnd", .shapes = {kRows, {35}}}, {DT_BOOL});
  AddPerType(&cases, {.op = "LogicalOr", .shapes = {{6, 1}, kRows}}, {DT_BOOL});
  AddPerType(&cases, {.op = "LogicalNot", .shapes = {kFlat}}, {DT_BOOL});
  AddPerType(&cases, {.op = "AddN", .shapes = {kFlat, kFlat, kFlat}}, {DT_FLOAT, DT_INT32});

  // Unary math, exact unless built on a polynomial.
  for (const char* op : {"Neg", "Abs", "Square", "Sign"}) AddPerType(&cases, {.op = op, .shapes = {kFlat}}, numeric);
  for (const char* op : {"Sqrt", "Rsqrt", "Reciprocal", "Floor"}) AddPerType(&cases, {.op = op, .shapes = {kFlat}}, kFloats);
  AddPerType(&cases, {.op = "Exp", .shapes = {kFlat}, .ulps = 2, .lo = -90, .hi = 90}, kFloats);
  AddPerType(&cases, {.op = "Log", .shapes = {kFlat}, .ulps = 2, .lo = 0, .hi = 100}, kFloats);
  AddPerType(&cases, {.op = "Log1p", .shapes = {kFlat}, .ulps = 4, .lo = -1, .hi = 3}, kFloats);
  AddPerType(&cases, {.op = "Tanh", .shapes = {kFlat}, .ulps = 3, .lo = -10, .hi = 10}, kFloats);
  // Sigmoid keeps the denormal results the reference's 1 / (1 + inf) rounds to 0 (x < -88.7).
  AddPerType(&cases, {.op = "Sigmoid", .shapes = {kFlat}, .ulps = 4, .abs = 1e-37, .lo = -100, .hi = 40}, {DT_FLOAT});
  AddPerType(&cases, {.op = "Sigmoid", .shapes = {kFlat}, .ulps = 4, .abs = 1e-307, .lo = -750, .hi = 40}, {DT_DOUBLE});

  // Activations and their gradients (TF's argument order), exact unless built on exp.
  AddPerType(&cases, {.op = "Relu", .shapes = {kFlat}}, numeric);
  AddPerType(&cases, {.op = "ReluGrad", .shapes = {kFlat, kFlat}}, numeric);
  AddPerType(&cases, {.op = "Relu6", .shapes = {kFlat}, .lo = -3, .hi = 9}, kFloats);
  AddPerType(&cases, {.op = "Relu6Grad", .shapes = {kFlat, kFlat}, .lo = -3, .hi = 9, .ties = true}, kFloats);
  AddPerType(&cases, {.op = "Elu", .shapes = {kFlat}, .ulps = 4, .lo = -20, .hi = 3}, kFloats);
  AddPerType(&cases, {.op = "EluGrad", .shapes = {kFlat, kFlat}, .lo = -1, .hi = 3}, kFloats);
  AddPerType(&cases, {.op = "LeakyRelu", .shapes = {kFlat}, .attrs = {{"alpha", 0.1f}}}, kFloats);
  AddPerType(&cases, {.op = "LeakyReluGrad", .shapes = {kFlat, kFlat}, .attrs = {{"alpha", 0.3f}}}, kFloats);
  for (const char* op : {"SigmoidGrad", "TanhGrad", "RsqrtGrad"}) AddPerType(&cases, {.op = op, .shapes = {kFlat, kFlat}}, kFloats);
  AddPerType(&cases, {.op = "BiasAdd", .shapes = {{4, 5, 6}, {6}}}, numeric);

  // Identity-like and constant-like.
  for (const char* op : {"Identity", "StopGradient", "ZerosLike", "OnesLike"}) {
    AddPerType(&cases, {.op = op, .shapes = {kFlat}}, {DT_FLOAT, DT_INT64, DT_BOOL});
  }

  // A broadcast's value is its input, read broadcast against the cluster's shape.
  for (auto [from, to] : std::vector<std::pair<std::vector<int64_t>, std::vector<int32_t>>>{{{35}, {6, 35}}, {{6, 1}, {4, 6, 35}}}) {
    Tensor shape(DT_INT32, {static_cast<int64_t>(to.size())});
    for (size_t i = 0; i < to.size(); ++i) shape.data<int32_t>()[i] = to[i];
    AddPerType(&cases, {.op = "BroadcastTo", .shapes = {from}, .label = "_rank" + std::to_string(to.size()),
                        .operands = {shape}}, {DT_FLOAT, DT_INT64, DT_BOOL});
  }

  // Mixed input dtypes: Select's condition, Cast's source.
  for (DataType t : {DT_FLOAT, DT_INT32}) {
    cases.push_back({.op = "Select", .dtypes = {DT_BOOL, t, t}, .shapes = {kRows, kRows, kRows}});
    cases.push_back({.op = "SelectV2", .dtypes = {DT_BOOL, t, t}, .shapes = {{6, 1}, {35}, kRows}});
  }
  const std::vector<std::pair<DataType, DataType>> casts = {
      {DT_FLOAT, DT_INT32}, {DT_FLOAT, DT_INT64}, {DT_DOUBLE, DT_INT32}, {DT_INT32, DT_FLOAT}, {DT_INT64, DT_DOUBLE},
      {DT_FLOAT, DT_DOUBLE}, {DT_DOUBLE, DT_FLOAT}, {DT_INT64, DT_INT32}, {DT_INT32, DT_INT64}, {DT_FLOAT, DT_BOOL},
      {DT_BOOL, DT_FLOAT}, {DT_INT32, DT_BOOL}, {DT_BOOL, DT_INT64}};
  for (auto [from, to] : casts) {
    cases.push_back({.op = "Cast", .dtypes = {from}, .shapes = {kFlat}, .attrs = {{"DstT", to}}, .lo = -3e9, .hi = 3e9,
                     .label = "_to_" + DataTypeName(to)});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(LoweredOps, ElementwiseOpTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) { return info.param.Name(); });

// A new lowering needs a case above: every op with one appears in AllCases.
TEST(ElementwiseOpCoverageTest, EveryLoweredOpHasACase) {
  std::set<std::string> tested;
  for (const OpCase& c : AllCases()) tested.insert(c.op);
  for (const std::string& name : OpRegistry::Global().OpNames()) {
    const OpDef* def = OpRegistry::Global().Find(name);
    if (def->lowering.elementwise) EXPECT_TRUE(tested.count(name)) << name << " has a lowering but no test case";
  }
}

}  // namespace
}  // namespace kiln::codegen
