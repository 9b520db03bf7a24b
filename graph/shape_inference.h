// The context a shape function sees: input types (partial shapes), input values where known, the
// node's attrs; it sets output shapes. Shared helpers (broadcasting, rank checks) live here so op
// files stay short.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace kiln {

class InferenceContext {
 public:
  InferenceContext(const Node& node, std::vector<TensorType>* outputs,
                   std::vector<std::shared_ptr<const Tensor>>* values)
      : node_(node), outputs_(outputs), values_(values) {}

  const Node& node() const { return node_; }
  int num_inputs() const { return node_.num_inputs(); }
  const TensorType& input(int i) const { return node_.input(i).type(); }
  const Shape& input_shape(int i) const { return node_.input(i).type().shape; }
  DataType input_dtype(int i) const { return node_.input(i).type().dtype; }
  // The input's value when it is known at graph-build time (a Const, a Shape of a known shape, ...).
  const Tensor* input_value(int i) const {
    return node_.input(i).node->known_value(node_.input(i).index);
  }
  // Reads an int32/int64 vector input whose value is known; false if unknown.
  bool InputAsInts(int i, std::vector<int64_t>* out) const;
  // Reads a shape-valued input (Reshape's `shape`) as a partial shape: from its value when known,
  // from the shape of x when the input is Shape(x) (TF's MakeShapeFromShapeTensor).
  // A known value below -1 is an error naming the dimension.
  StatusOr<Shape> InputAsPartialShape(int i) const;

  int num_outputs() const { return static_cast<int>(outputs_->size()); }
  void set_output_shape(int i, Shape s) { (*outputs_)[i].shape = std::move(s); }
  const Shape& output_shape(int i) const { return (*outputs_)[i].shape; }
  // Declares the output's value known at build time (Shape of a fully known shape).
  void set_output_value(int i, Tensor value) {
    (*values_)[i] = std::make_shared<const Tensor>(std::move(value));
  }
  template <typename T>
  T attr(const std::string& name) const { return node_.attr<T>(name); }

  // InvalidArgument with TF's suffix: "<msg> for 'name' (op: 'Op') with input shapes: [2,3], [4,5]."
  Status error(const std::string& message) const;

  // Helpers.
  Status WithRank(int input, int rank, Shape* out) const;        // error unless rank matches or unknown
  Status WithRankAtLeast(int input, int rank, Shape* out) const;
  // Two dims must agree (-1 is unknown): returns the merged dim or an error in TF's words.
  Status MergeDim(int64_t a, int64_t b, int64_t* out) const;
  // NumPy/TF broadcasting of two partial shapes.
  Status BroadcastShapes(const Shape& a, const Shape& b, Shape* out) const;

 private:
  const Node& node_;
  std::vector<TensorType>* outputs_;
  std::vector<std::shared_ptr<const Tensor>>* values_;
};

// Common shape functions used by many ops.
Status UnchangedShape(InferenceContext& c);        // output 0 = input 0
Status BroadcastBinaryShape(InferenceContext& c);  // output 0 = broadcast(input 0, input 1)
Status ScalarShape(InferenceContext& c);
Status NoOutputsShape(InferenceContext& c);

// Normalizes a possibly negative axis into [0, rank); error names the node.
Status CanonicalAxis(const InferenceContext& c, int64_t axis, int rank, int64_t* out);

}  // namespace kiln
