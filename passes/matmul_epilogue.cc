#include "passes/matmul_epilogue.h"

#include "passes/rewrite.h"

namespace kiln {
namespace {

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
      std::optional<BiasReluChain> chain = FindBiasReluChain(context, *matmul);
      if (!chain) continue;
      AttrMap attrs = {{"T", matmul->output_type(0).dtype},
                       {"transpose_a", matmul->attr<bool>("transpose_a")},
                       {"transpose_b", matmul->attr<bool>("transpose_b")},
                       {"num_args", int64_t{1}},
                       {"fused_ops", chain->fused_ops}};
      KILN_RETURN_IF_ERROR(FuseChain(graph, context, chain->nodes, "_FusedMatMul",
                                     {matmul->input(0), matmul->input(1), chain->bias}, std::move(attrs),
                                     matmul->device()));
      changed = true;
    }
    if (changed) RestoreTopologicalIds(graph);
    return changed;
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakeMatMulEpiloguePass() { return std::make_unique<MatMulEpiloguePass>(); }

}  // namespace kiln
