#include "graph/shape_inference.h"

namespace kiln {

bool InferenceContext::InputAsInts(int i, std::vector<int64_t>* out) const {
  const Tensor* t = input_value(i);
  if (!t) return false;
  out->clear();
  for (int64_t k = 0; k < t->num_elements(); ++k) {
    if (t->dtype() == DT_INT32) out->push_back(t->data<int32_t>()[k]);
    else if (t->dtype() == DT_INT64) out->push_back(t->data<int64_t>()[k]);
    else return false;
  }
  return true;
}

StatusOr<Shape> InferenceContext::InputAsPartialShape(int i) const {
  std::vector<int64_t> dims;
  if (InputAsInts(i, &dims)) {
    for (int64_t d : dims) {
      if (d < -1) return error("Dimension " + std::to_string(d) + " must be >= -1 (-1 means unknown)");
    }
    return Shape(dims);
  }
  const Output& in = node_.input(i);
  if (in.node->op() == "Shape" && in.node->num_inputs() == 1) return in.node->input(0).type().shape;
  const Shape& s = input_shape(i);
  if (s.rank() == 1 && s.dim(0) >= 0) return Shape::Unknown(static_cast<int>(s.dim(0)));
  return Shape::UnknownRank();
}

Status InferenceContext::error(const std::string& message) const {
  return InvalidArgument(message + InputShapesSuffix(node_));
}

Status InferenceContext::WithRank(int input, int rank, Shape* out) const {
  const Shape& s = input_shape(input);
  if (s.unknown_rank()) {
    *out = Shape::Unknown(rank);
    return OkStatus();
  }
  if (s.rank() != rank) {
    return error("Shape must be rank " + std::to_string(rank) + " but is rank " +
                 std::to_string(s.rank()));
  }
  *out = s;
  return OkStatus();
}

Status InferenceContext::WithRankAtLeast(int input, int rank, Shape* out) const {
  const Shape& s = input_shape(input);
  if (!s.unknown_rank() && s.rank() < rank) {
    return error("Shape must be at least rank " + std::to_string(rank) + " but is rank " +
                 std::to_string(s.rank()));
  }
  *out = s;
  return OkStatus();
}

Status InferenceContext::MergeDim(int64_t a, int64_t b, int64_t* out) const {
  if (a >= 0 && b >= 0 && a != b) {
    return error("Dimensions must be equal, but are " + std::to_string(a) + " and " + std::to_string(b));
  }
  *out = a >= 0 ? a : b;
  return OkStatus();
}

Status InferenceContext::BroadcastShapes(const Shape& a, const Shape& b, Shape* out) const {
  if (a.unknown_rank() || b.unknown_rank()) {
    *out = Shape::UnknownRank();
    return OkStatus();
  }
  int rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(rank);
  for (int i = 0; i < rank; ++i) {
    int ia = i - (rank - a.rank()), ib = i - (rank - b.rank());
    int64_t da = ia >= 0 ? a.dim(ia) : 1, db = ib >= 0 ? b.dim(ib) : 1;
    if (da == 1) dims[i] = db;
    else if (db == 1) dims[i] = da;
    else if (da < 0 || db < 0) dims[i] = da < 0 ? (db < 0 ? -1 : db) : da;
    else if (da == db) dims[i] = da;
    else return error("Dimensions must be equal, but are " + std::to_string(da) + " and " + std::to_string(db));
  }
  *out = Shape(dims);
  return OkStatus();
}

Status UnchangedShape(InferenceContext& c) {
  c.set_output_shape(0, c.input_shape(0));
  return OkStatus();
}

Status BroadcastBinaryShape(InferenceContext& c) {
  Shape out;
  KILN_RETURN_IF_ERROR(c.BroadcastShapes(c.input_shape(0), c.input_shape(1), &out));
  c.set_output_shape(0, out);
  return OkStatus();
}

Status ScalarShape(InferenceContext& c) {
  for (int i = 0; i < c.num_outputs(); ++i) c.set_output_shape(i, Shape::Scalar());
  return OkStatus();
}

Status NoOutputsShape(InferenceContext& c) { return OkStatus(); }

Status CanonicalAxis(const InferenceContext& c, int64_t axis, int rank, int64_t* out) {
  if (axis < -rank || axis >= rank) {
    return c.error("axis " + std::to_string(axis) + " is out of range for a tensor of rank " +
                   std::to_string(rank));
  }
  *out = axis < 0 ? axis + rank : axis;
  return OkStatus();
}

}  // namespace kiln
