#include "passes/pad_folding.h"

#include <optional>

#include "graph/ops/conv_geometry.h"
#include "graph/ops/kernel_util.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

// A value the pass may build on: known, from a node that waits for nothing (so it is never dead
// when its reader is live) and is not fed.
std::optional<std::vector<int64_t>> FixedInts(const PassContext& context, const Output& t) {
  if (!t.node->control_inputs().empty() || IsFed(context, *t.node)) return std::nullopt;
  return KnownInts(t);
}

// NHWC dims of a tensor with known height and width (others may be -1), or nothing.
std::optional<std::vector<int64_t>> SpatialDims(const std::vector<int64_t>& dims) {
  if (dims.size() != 4 || dims[1] < 0 || dims[2] < 0) return std::nullopt;
  return dims;
}

// The convolution's padding as 8 explicit numbers, for an input of `input` dims.
std::optional<std::vector<int64_t>> CurrentPads(const Node& conv, const std::vector<int64_t>& input,
                                                const std::vector<int64_t>& filter) {
  if (filter.size() != 4 || filter[0] < 0 || filter[1] < 0) return std::nullopt;
  StatusOr<std::vector<int64_t>> pads =
      AsExplicitPaddings(input, filter, conv.attr<std::vector<int64_t>>("strides"), conv.attr<std::string>("padding"),
                         conv.attr<std::vector<int64_t>>("explicit_paddings"));
  if (!pads.ok()) return std::nullopt;
  return *pads;
}

// The spatial zero padding a Pad adds, as 8 numbers.
std::optional<std::vector<int64_t>> ZeroPadding(const PassContext& context, const Node& pad) {
  if (pad.op() != "Pad" || !pad.control_inputs().empty() || IsFed(context, pad)) return std::nullopt;
  std::optional<std::vector<int64_t>> p = FixedInts(context, pad.input(1));
  if (!p || p->size() != 8) return std::nullopt;
  for (int64_t v : *p) if (v < 0) return std::nullopt;
  if ((*p)[0] || (*p)[1] || (*p)[6] || (*p)[7]) return std::nullopt;
  return p;
}

std::vector<int64_t> Sum(std::vector<int64_t> a, const std::vector<int64_t>& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  return a;
}

class PadFoldingPass : public GraphPass {
 public:
  std::string name() const override { return "pad"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    std::vector<Node*> candidates;
    for (Node* n : graph.nodes()) {
      if (n->op() == "Conv2D" || n->op() == "Conv2DBackpropFilter" || n->op() == "Slice") candidates.push_back(n);
    }
    bool changed = false;
    for (Node* n : candidates) {
      StatusOr<bool> folded = n->op() == "Slice" ? FoldSlice(graph, context, n) : FoldPad(graph, context, n);
      if (!folded.ok()) return folded.status();
      changed = changed || *folded;
    }
    if (changed) RestoreTopologicalIds(graph);
    return changed;
  }

 private:
  // Conv2D or Conv2DBackpropFilter reading a Pad.
  StatusOr<bool> FoldPad(Graph& graph, const PassContext& context, Node* conv) {
    if (!IsFloatNhwcConv(*conv, conv->op()) || IsFed(context, *conv)) return false;
    Node* pad = conv->input(0).node;
    std::optional<std::vector<int64_t>> added = ZeroPadding(context, *pad);
    if (!added) return false;
    std::optional<std::vector<int64_t>> padded = SpatialDims(conv->input(0).shape().dims());
    std::optional<std::vector<int64_t>> filter =
        conv->op() == "Conv2D" ? conv->input(1).shape().dims() : FixedInts(context, conv->input(1));
    if (!padded || !filter) return false;
    std::optional<std::vector<int64_t>> pads = CurrentPads(*conv, *padded, *filter);
    if (!pads) return false;
    std::vector<Output> inputs = conv->inputs();
    inputs[0] = pad->input(0);
    // The Pad goes with the last convolution that read it (Replace deletes what it leaves unused).
    KILN_RETURN_IF_ERROR(Replace(graph, context, conv, inputs, Sum(*pads, *added), {}));
    return true;
  }

  // Slice of a Conv2DBackpropInput that only this slice reads.
  StatusOr<bool> FoldSlice(Graph& graph, const PassContext& context, Node* slice) {
    Node* grad = slice->input(0).node;
    if (!IsFloatNhwcConv(*grad, "Conv2DBackpropInput") || IsPinned(context, *grad) ||
        grad->uses().size() != 1 || IsFed(context, *slice)) {
      return false;
    }
    std::optional<std::vector<int64_t>> full = SpatialDims(grad->output_type(0).shape.dims());
    std::optional<std::vector<int64_t>> begin = FixedInts(context, slice->input(1));
    const std::vector<int64_t> kept = slice->output_type(0).shape.dims();
    // A slice of whole images and channels, of known extent (the kept part of each spatial dim).
    if (!full || !begin || !FixedInts(context, slice->input(2)) || begin->size() != 4 ||
        !slice->output_type(0).shape.IsFullyDefined() || kept.size() != 4) {
      return false;
    }
    if ((*begin)[0] != 0 || (*begin)[3] != 0 || kept[0] != (*full)[0] || kept[3] != (*full)[3]) return false;
    std::optional<std::vector<int64_t>> pads = CurrentPads(*grad, *full, grad->input(1).shape().dims());
    if (!pads) return false;
    std::vector<int64_t> cut(8, 0);
    for (int dim = 1; dim <= 2; ++dim) {
      cut[2 * dim] = (*begin)[dim];
      cut[2 * dim + 1] = (*full)[dim] - (*begin)[dim] - kept[dim];
    }
    // The new input_sizes: the slice's shape, in the dtype the old ones had.
    const Output& old_sizes = grad->input(0);
    KILN_ASSIGN_OR_RETURN(Node* sizes, graph.AddNode({.name = graph.UniqueName(grad->name() + "/input_sizes"),
                                                      .op = "Const",
                                                      .attrs = {{"value", IntsToTensor(kept, old_sizes.dtype())},
                                                                {"dtype", old_sizes.dtype()}},
                                                      .device = grad->device()}));
    std::vector<Output> inputs = grad->inputs();
    inputs[0] = Output(sizes, 0);
    KILN_RETURN_IF_ERROR(Replace(graph, context, slice, inputs, Sum(*pads, cut), grad->control_inputs(), grad));
    return true;
  }

  // Replaces `old` by a node of `like`'s op and attrs (default: old's own) with these inputs and
  // padding EXPLICIT `pads`, waiting for old's control inputs and `waits`; it takes old's name, and
  // old goes, with whatever only it read.
  Status Replace(Graph& graph, const PassContext& context, Node* old, const std::vector<Output>& inputs,
                 const std::vector<int64_t>& pads, const std::vector<Node*>& waits, Node* like = nullptr) {
    if (!like) like = old;
    AttrMap attrs = like->attrs();
    attrs["padding"] = std::string("EXPLICIT");
    attrs["explicit_paddings"] = pads;
    std::vector<Node*> control = old->control_inputs();
    control.insert(control.end(), waits.begin(), waits.end());
    return ReplaceWithNewNode(graph, context, old,
                              {.name = old->name() + "/folded", .op = like->op(), .inputs = inputs,
                               .control_inputs = control, .attrs = attrs, .device = like->device()})
        .status();
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakePadFoldingPass() { return std::make_unique<PadFoldingPass>(); }

}  // namespace kiln
