#include "passes/matmul_epilogue.h"

#include "passes/rewrite.h"

namespace kiln {
namespace {

// The bias `add` adds to the product `matmul`: BiasAdd's, or for Add/AddV2 the other operand when it
// is a vector of one value per column of the product; null otherwise.
const Output* BiasOf(const Node& add, const Node& matmul) {
  const TensorType& product = matmul.output_type(0);
  if (add.op() == "BiasAdd") return add.input(0).node == &matmul ? &add.input(1) : nullptr;
  if (add.op() != "AddV2" && add.op() != "Add") return nullptr;
  const int other = add.input(0).node == &matmul ? 1 : 0;
  const Output& bias = add.input(other);
  if (bias.node == &matmul || add.input(1 - other).node != &matmul) return nullptr;
  const Shape& b = bias.node->output_type(bias.index).shape;
  const bool per_column = b.rank() == 1 && product.shape.rank() == 2 && b.dim(0) >= 0 && b.dim(0) == product.shape.dim(1);
  const bool same_result = add.output_type(0).shape == product.shape && bias.dtype() == product.dtype;
  return per_column && same_result ? &bias : nullptr;
}

bool IsFloatMatMul(const Node& n) {
  if (n.op() != "MatMul") return false;
  const DataType t = n.output_type(0).dtype;
  return t == DT_FLOAT || t == DT_DOUBLE;
}

class MatMulEpiloguePass : public GraphPass {
 public:
  std::string name() const override { return "matmul_epilogue"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    bool changed = false;
    std::vector<Node*> products;
    for (Node* n : graph.nodes()) if (IsFloatMatMul(*n)) products.push_back(n);
    for (Node* matmul : products) {
      if (IsPinned(context, *matmul)) continue;
      const Use* to_add = SoleDataUse(*matmul);
      if (!to_add) continue;
      Node* add = to_add->node;
      const Output* bias = BiasOf(*add, *matmul);
      if (!bias || IsFed(context, *add)) continue;
      std::vector<Node*> chain = {matmul, add};
      const Use* to_relu = IsPinned(context, *add) ? nullptr : SoleDataUse(*add);
      if (to_relu && to_relu->node->op() == "Relu" && !IsFed(context, *to_relu->node)) chain.push_back(to_relu->node);
      std::vector<std::string> fused_ops = {"BiasAdd"};
      if (chain.size() == 3) fused_ops.push_back("Relu");
      AttrMap attrs = {{"T", matmul->output_type(0).dtype},
                       {"transpose_a", matmul->attr<bool>("transpose_a")},
                       {"transpose_b", matmul->attr<bool>("transpose_b")},
                       {"num_args", int64_t{1}},
                       {"fused_ops", fused_ops}};
      KILN_RETURN_IF_ERROR(FuseChain(graph, context, chain, "_FusedMatMul", {matmul->input(0), matmul->input(1), *bias},
                                     std::move(attrs), matmul->device()));
      changed = true;
    }
    if (changed) RestoreTopologicalIds(graph);
    return changed;
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakeMatMulEpiloguePass() { return std::make_unique<MatMulEpiloguePass>(); }

}  // namespace kiln
