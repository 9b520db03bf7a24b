// From graph nodes to primitive expressions: runs the elementwise lowering each op declares with
// its definition (OpLowering::elementwise, graph/op_def.h) over one node or over a whole cluster
// the fuser chose. The codegen side (codegen/elementwise_kernel.h) compiles the result.
#pragma once

#include <vector>

#include "graph/elementwise_expr.h"
#include "graph/graph.h"
#include "graph/status.h"

namespace kiln {

// Whether the node's op declares an elementwise lowering (its dtypes may still be unsupported:
// LowerElementwiseNode says so).
bool HasElementwiseLowering(const Node& node);

// The node's inputs its expression reads: the first ExpressionInputs(node) (all but an op's
// shape-only operands, OpLowering::expr_inputs).
int ExpressionInputs(const Node& node);

// Appends the node's expression to `b`: `inputs` holds one value per expression input, `outputs`
// gets one per node output. The lowering's result dtypes must be the node's output dtypes. Errors name
// the node: Unimplemented for an op without a lowering or a dtype expressions lack (uint8).
Status LowerElementwiseNode(const Node& node, ExprBuilder& b, const std::vector<ExprValue>& inputs,
                            std::vector<ExprValue>* outputs);

// The expression of a cluster: `inputs` are the tensors entering it (input i of the expression is
// inputs[i], with its dtype), `nodes` its nodes in any order (they are lowered in a topological
// order found here, iteratively), `outputs` the tensors leaving it (output j of the expression).
// Every expression input of a cluster node must be a cluster input or an output of a cluster node.
StatusOr<ElementwiseExpr> LowerElementwiseCluster(const std::vector<Output>& inputs, const std::vector<const Node*>& nodes,
                                                  const std::vector<Output>& outputs);

}  // namespace kiln
