#include "graph/graphdef.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <cstring>
#include <queue>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include "graph/op_registry.h"

namespace kiln {
namespace {

// ---- tensors ----

template <typename T, typename Field>
Status FillFromField(const Field& field, Tensor* t) {
  int64_t n = t->num_elements();
  T* out = t->data<T>();
  if (field.size() == 0) return OkStatus();  // all zeros, already
  if (field.size() > n) {
    return InvalidArgument("tensor has " + std::to_string(field.size()) + " values but shape " + t->shape().ToString() +
                           " holds " + std::to_string(n));
  }
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(field.Get(std::min<int64_t>(i, field.size() - 1)));
  return OkStatus();
}

Status ShapeFromProto(const proto::TensorShapeProto& p, Shape* out) {
  if (p.unknown_rank()) {
    if (p.dim_size() > 0) return InvalidArgument("shape has unknown_rank set but lists dims");
    *out = Shape::UnknownRank();
    return OkStatus();
  }
  std::vector<int64_t> dims;
  for (const auto& d : p.dim()) {
    if (d.size() < -1) return InvalidArgument("shape has an invalid dim size " + std::to_string(d.size()));
    dims.push_back(d.size());
  }
  *out = Shape(dims);
  return OkStatus();
}

void ShapeToProto(const Shape& s, proto::TensorShapeProto* p) {
  p->Clear();
  if (s.unknown_rank()) {
    p->set_unknown_rank(true);
    return;
  }
  for (int64_t d : s.dims()) p->add_dim()->set_size(d);
}

// ---- attrs ----

Status AttrFromProto(const proto::AttrValue& p, AttrValue* out) {
  using P = proto::AttrValue;
  switch (p.value_case()) {
    case P::kS: *out = p.s(); return OkStatus();
    case P::kI: *out = static_cast<int64_t>(p.i()); return OkStatus();
    case P::kF: *out = p.f(); return OkStatus();
    case P::kB: *out = p.b(); return OkStatus();
    case P::kType: *out = static_cast<DataType>(p.type()); return OkStatus();
    case P::kShape: {
      Shape s;
      KILN_RETURN_IF_ERROR(ShapeFromProto(p.shape(), &s));
      *out = s;
      return OkStatus();
    }
    case P::kTensor: {
      if (p.tensor().dtype() != proto::DT_STRING && DataTypeSize(static_cast<DataType>(p.tensor().dtype())) == 0) break;
      Tensor t;
      KILN_RETURN_IF_ERROR(TensorFromProto(p.tensor(), &t));
      *out = t;
      return OkStatus();
    }
    case P::kList: {
      const auto& l = p.list();
      int kinds = (l.s_size() > 0) + (l.i_size() > 0) + (l.f_size() > 0) + (l.b_size() > 0) + (l.type_size() > 0) +
                  (l.shape_size() > 0) + (l.tensor_size() > 0) + (l.func_size() > 0);
      if (kinds > 1 || l.tensor_size() > 0 || l.func_size() > 0) break;
      if (l.s_size()) *out = std::vector<std::string>(l.s().begin(), l.s().end());
      else if (l.f_size()) *out = std::vector<float>(l.f().begin(), l.f().end());
      else if (l.b_size()) *out = std::vector<bool>(l.b().begin(), l.b().end());
      else if (l.type_size()) {
        std::vector<DataType> v;
        for (int t : l.type()) v.push_back(static_cast<DataType>(t));
        *out = v;
      } else if (l.shape_size()) {
        std::vector<Shape> v;
        for (const auto& sp : l.shape()) {
          Shape s;
          KILN_RETURN_IF_ERROR(ShapeFromProto(sp, &s));
          v.push_back(s);
        }
        *out = v;
      } else {
        *out = std::vector<int64_t>(l.i().begin(), l.i().end());  // also the empty list
      }
      return OkStatus();
    }
    default: break;
  }
  *out = RawAttr{p.SerializeAsString()};
  return OkStatus();
}

void AttrToProto(const AttrValue& v, proto::AttrValue* p) {
  struct Writer {
    proto::AttrValue* p;
    void operator()(const std::string& s) { p->set_s(s); }
    void operator()(int64_t i) { p->set_i(i); }
    void operator()(float f) { p->set_f(f); }
    void operator()(bool b) { p->set_b(b); }
    void operator()(DataType t) { p->set_type(static_cast<proto::DataType>(t)); }
    void operator()(const Shape& s) { ShapeToProto(s, p->mutable_shape()); }
    void operator()(const Tensor& t) { TensorToProto(t, p->mutable_tensor()); }
    void operator()(const std::vector<std::string>& v) { auto* l = p->mutable_list(); for (auto& s : v) l->add_s(s); }
    void operator()(const std::vector<int64_t>& v) { auto* l = p->mutable_list(); for (auto i : v) l->add_i(i); }
    void operator()(const std::vector<float>& v) { auto* l = p->mutable_list(); for (auto f : v) l->add_f(f); }
    void operator()(const std::vector<bool>& v) { auto* l = p->mutable_list(); for (bool b : v) l->add_b(b); }
    void operator()(const std::vector<DataType>& v) {
      auto* l = p->mutable_list();
      for (auto t : v) l->add_type(static_cast<proto::DataType>(t));
    }
    void operator()(const std::vector<Shape>& v) {
      auto* l = p->mutable_list();
      for (auto& s : v) ShapeToProto(s, l->add_shape());
    }
    void operator()(const RawAttr& r) { p->ParseFromString(r.serialized); }
  };
  std::visit(Writer{p}, v);
}

// "name", "name:2", "^name" -> (name, index), index -1 for control inputs.
Status ParseInput(const std::string& s, std::string* name, int* index) {
  if (s.empty()) return InvalidArgument("empty input name");
  if (s[0] == '^') {
    *name = s.substr(1);
    *index = -1;
    return OkStatus();
  }
  size_t colon = s.rfind(':');
  *name = s;
  *index = 0;
  if (colon != std::string::npos) {
    std::string idx = s.substr(colon + 1);
    if (idx.empty() || idx.size() > 9 || !std::all_of(idx.begin(), idx.end(), ::isdigit)) {
      return InvalidArgument("malformed input '" + s + "'");
    }
    *name = s.substr(0, colon);
    *index = std::stoi(idx);
  }
  return OkStatus();
}

// DT_STRING values come in string_val (field 8), one per element or fewer (the last repeats, as
// TF decodes them). The total size, repeats included, is checked against the allocation cap.
Status StringTensorFromProto(const proto::TensorProto& p, Tensor* out) {
  Shape shape;
  KILN_RETURN_IF_ERROR(ShapeFromProto(p.tensor_shape(), &shape));
  if (!shape.IsFullyDefined()) return InvalidArgument("tensor value has a partial shape " + shape.ToString());
  if (!p.tensor_content().empty()) return InvalidArgument("a string tensor has tensor_content; TF writes string_val");
  const uint64_t cap = TensorBuffer::AllocationCap();
  uint64_t n = 1;
  for (int64_t d : shape.dims()) {
    if (d != 0 && n > cap / sizeof(std::string) / static_cast<uint64_t>(d)) {
      return ResourceExhausted("string tensor of shape " + shape.ToString() + " exceeds the allocation cap");
    }
    n *= static_cast<uint64_t>(d);
  }
  const auto& vals = p.string_val();
  if (static_cast<uint64_t>(vals.size()) > n) {
    return InvalidArgument("tensor has " + std::to_string(vals.size()) + " values but shape " + shape.ToString() +
                           " holds " + std::to_string(n));
  }
  uint64_t bytes = 0;
  for (const std::string& v : vals) bytes += v.size();
  if (!vals.empty() && vals.rbegin()->size() > 0 &&
      (n - vals.size()) > (cap - std::min(cap, bytes)) / vals.rbegin()->size()) {
    return ResourceExhausted("string tensor of shape " + shape.ToString() + " exceeds the allocation cap");
  }
  KILN_ASSIGN_OR_RETURN(Tensor t, Tensor::Make(DT_STRING, shape.dims()));
  KILN_RETURN_IF_ERROR(FillFromField<std::string>(vals, &t));
  *out = std::move(t);
  return OkStatus();
}

}  // namespace

Status TensorFromProto(const proto::TensorProto& p, Tensor* out) {
  DataType dtype = static_cast<DataType>(p.dtype());
  if (dtype == DT_STRING) return StringTensorFromProto(p, out);
  if (DataTypeSize(dtype) == 0) return Unimplemented("Kiln cannot hold tensors of dtype " + DataTypeName(dtype));
  Shape shape;
  KILN_RETURN_IF_ERROR(ShapeFromProto(p.tensor_shape(), &shape));
  if (!shape.IsFullyDefined()) return InvalidArgument("tensor value has a partial shape " + shape.ToString());
  // Check the element count before allocating: a hostile file may claim any shape.
  int64_t n = 1;
  for (int64_t d : shape.dims()) {
    if (d != 0 && n > static_cast<int64_t>(TensorBuffer::AllocationCap() / DataTypeSize(dtype)) / d) {
      return ResourceExhausted("tensor of shape " + shape.ToString() + " exceeds the allocation cap");
    }
    n *= d;
  }
  if (!p.tensor_content().empty() && p.tensor_content().size() != static_cast<size_t>(n * DataTypeSize(dtype))) {
    return InvalidArgument("tensor_content has " + std::to_string(p.tensor_content().size()) + " bytes but a " +
                           DataTypeName(dtype) + shape.ToString() + " tensor needs " + std::to_string(n * DataTypeSize(dtype)));
  }
  KILN_ASSIGN_OR_RETURN(Tensor t, Tensor::Make(dtype, shape.dims()));
  if (!p.tensor_content().empty()) {
    std::memcpy(t.raw_data(), p.tensor_content().data(), t.num_bytes());
  } else {
    Status s;
    switch (dtype) {
      case DT_FLOAT: s = FillFromField<float>(p.float_val(), &t); break;
      case DT_DOUBLE: s = FillFromField<double>(p.double_val(), &t); break;
      case DT_INT32: s = FillFromField<int32_t>(p.int_val(), &t); break;
      case DT_UINT8: s = FillFromField<uint8_t>(p.int_val(), &t); break;
      case DT_INT64: s = FillFromField<int64_t>(p.int64_val(), &t); break;
      case DT_BOOL: s = FillFromField<bool>(p.bool_val(), &t); break;
      default: return Unimplemented("Kiln cannot decode typed values of dtype " + DataTypeName(dtype));
    }
    KILN_RETURN_IF_ERROR(s);
  }
  *out = std::move(t);
  return OkStatus();
}

void TensorToProto(const Tensor& t, proto::TensorProto* p) {
  p->Clear();
  p->set_dtype(static_cast<proto::DataType>(t.dtype()));
  ShapeToProto(t.shape(), p->mutable_tensor_shape());
  if (t.dtype() == DT_STRING) {  // every element in string_val; strings never use tensor_content
    for (int64_t i = 0; i < t.num_elements(); ++i) p->add_string_val(t.strings()[i]);
    return;
  }
  if (t.num_elements() != 1) {  // arrays as raw bytes, as TF's make_tensor_proto writes them
    p->set_tensor_content(std::string(static_cast<const char*>(t.raw_data()), t.num_bytes()));
    return;
  }
  switch (t.dtype()) {  // scalars and 1-element tensors as typed values, as TF writes them
    case DT_FLOAT: p->add_float_val(t.data<float>()[0]); break;
    case DT_DOUBLE: p->add_double_val(t.data<double>()[0]); break;
    case DT_INT32: p->add_int_val(t.data<int32_t>()[0]); break;
    case DT_UINT8: p->add_int_val(t.data<uint8_t>()[0]); break;
    case DT_INT64: p->add_int64_val(t.data<int64_t>()[0]); break;
    case DT_BOOL: p->add_bool_val(t.data<bool>()[0]); break;
    default: p->set_tensor_content(std::string(static_cast<const char*>(t.raw_data()), t.num_bytes()));
  }
}

proto::GraphDef ToGraphDef(const Graph& graph) {
  proto::GraphDef gd;
  gd.mutable_versions()->set_producer(graph.producer_version());
  for (Node* n : graph.nodes()) {
    proto::NodeDef* nd = gd.add_node();
    nd->set_name(n->name());
    nd->set_op(n->op());
    for (const Output& in : n->inputs()) {
      nd->add_input(in.index == 0 ? in.node->name() : in.node->name() + ":" + std::to_string(in.index));
    }
    for (Node* c : n->control_inputs()) nd->add_input("^" + c->name());
    if (!n->device().empty()) nd->set_device(n->device());
    for (const auto& [key, value] : n->attrs()) AttrToProto(value, &(*nd->mutable_attr())[key]);
  }
  return gd;
}

Status ImportGraphDef(const proto::GraphDef& gd, Graph* graph) {
  // Index the nodes and order them so every input is added before its consumer (Kahn's algorithm;
  // TF does not require GraphDef nodes in order). Iterative, so chain depth does not matter.
  std::unordered_map<std::string, int> index;
  for (int i = 0; i < gd.node_size(); ++i) {
    const std::string& name = gd.node(i).name();
    if (name.empty()) return InvalidArgument("GraphDef node " + std::to_string(i) + " has no name");
    if (!index.emplace(name, i).second || graph->FindNode(name)) {
      return InvalidArgument("GraphDef has two nodes named '" + name + "'");
    }
  }
  std::vector<int> pending(gd.node_size(), 0);
  std::vector<std::vector<int>> consumers(gd.node_size());
  for (int i = 0; i < gd.node_size(); ++i) {
    for (const std::string& in : gd.node(i).input()) {
      std::string name;
      int idx;
      KILN_RETURN_IF_ERROR(ParseInput(in, &name, &idx).WithContext("node '" + gd.node(i).name() + "'"));
      auto it = index.find(name);
      if (it == index.end()) {
        if (graph->FindNode(name)) continue;  // importing into a graph that already has it
        return InvalidArgument("Node '" + gd.node(i).name() + "': input '" + in + "' refers to a node that is not in the graph");
      }
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  }
  // Smallest index first: a GraphDef already in topological order imports in its own order, so
  // import then export reproduces it.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < gd.node_size(); ++i) if (pending[i] == 0) ready.push(i);
  int added = 0;
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    const proto::NodeDef& nd = gd.node(i);
    auto where = [&] { return "node '" + nd.name() + "' (op: '" + nd.op() + "')"; };
    NodeSpec spec;
    spec.name = nd.name();
    spec.op = nd.op();
    spec.device = nd.device();
    for (const std::string& in : nd.input()) {
      std::string name;
      int idx;
      KILN_RETURN_IF_ERROR(ParseInput(in, &name, &idx));
      Node* src = graph->FindNode(name);
      if (idx < 0) {
        spec.control_inputs.push_back(src);
        continue;
      }
      if (!spec.control_inputs.empty()) return InvalidArgument(where() + ": data input '" + in + "' after a control input");
      if (idx >= src->num_outputs()) {
        return InvalidArgument(where() + ": input '" + in + "' but node '" + name + "' has " +
                               std::to_string(src->num_outputs()) + " outputs");
      }
      spec.inputs.emplace_back(src, idx);
    }
    for (const auto& [key, value] : nd.attr()) {
      AttrValue v;
      KILN_RETURN_IF_ERROR(AttrFromProto(value, &v).WithContext(where() + ", attr '" + key + "'"));
      spec.attrs[key] = std::move(v);
    }
    StatusOr<Node*> node = graph->AddNode(std::move(spec));
    if (!node.ok()) return node.status().WithContext("while importing " + where());
    ++added;
    for (int c : consumers[i]) if (--pending[c] == 0) ready.push(c);
  }
  if (added != gd.node_size()) {
    std::string cycle;
    for (int i = 0, shown = 0; i < gd.node_size() && shown < 5; ++i) {
      if (pending[i] > 0) { cycle += (shown++ ? ", " : "") + gd.node(i).name(); }
    }
    return InvalidArgument("GraphDef has a cycle (TF1 while loops are not supported yet); nodes on or after it: " + cycle);
  }
  if (gd.has_versions()) graph->set_producer_version(gd.versions().producer());
  return OkStatus();
}

bool IsTextFormatPath(const std::string& path) {
  for (const char* ext : {".pbtxt", ".txt", ".prototxt"}) {
    size_t n = std::strlen(ext);
    if (path.size() >= n && path.compare(path.size() - n, n, ext) == 0) return true;
  }
  return false;
}

Status ReadFileToString(const std::string& path, std::string* contents) {
  // A directory opens as a stream that reads nothing: say what it is instead of parsing "".
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return InvalidArgument(path + " is a directory, not a file");
  if (auto size = std::filesystem::file_size(path, ec); !ec && size > TensorBuffer::AllocationCap()) {
    return ResourceExhausted(path + ": file of " + std::to_string(size) + " bytes exceeds the allocation cap");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return DataLoss(path + ": read error");
  *contents = ss.str();
  return OkStatus();
}

Status ReadGraphDefFile(const std::string& path, proto::GraphDef* gd) {
  std::string bytes;
  KILN_RETURN_IF_ERROR(ReadFileToString(path, &bytes));
  if (bytes.size() > TensorBuffer::AllocationCap()) return ResourceExhausted(path + ": file exceeds the allocation cap");
  bool text = IsTextFormatPath(path);
  if (!text) {
    google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedInputStream coded(&raw);
    coded.SetRecursionLimit(100);
    if (gd->ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage()) return OkStatus();
    gd->Clear();
  }
  google::protobuf::TextFormat::Parser parser;
  parser.AllowPartialMessage(false);
  struct Collector : google::protobuf::io::ErrorCollector {
    std::string first;
    void AddError(int line, int column, const std::string& message) override {
      if (first.empty()) first = "line " + std::to_string(line + 1) + ": " + message;
    }
  } errors;
  parser.RecordErrorsTo(&errors);
  if (parser.ParseFromString(bytes, gd)) return OkStatus();
  gd->Clear();
  if (text) return InvalidArgument(path + ": not a text-format GraphDef (" + errors.first + ")");
  return InvalidArgument(path + ": not a GraphDef (neither binary protobuf nor text format)");
}

Status WriteFileAtomically(const std::string& path, const std::string& contents, bool durable) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return FailedPrecondition("cannot write " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t w = ::write(fd, contents.data() + done, contents.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return DataLoss("writing " + path + ": " + err);
    }
    done += static_cast<size_t>(w);
  }
  if ((durable && ::fsync(fd) != 0) || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return DataLoss("writing " + path + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return DataLoss("renaming into " + path + ": " + err);
  }
  return OkStatus();
}

std::string SerializeDeterministic(const proto::GraphDef& gd) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);  // trims `out` when destroyed
    coded.SetSerializationDeterministic(true);
    gd.SerializeToCodedStream(&coded);
  }
  return out;
}

Status WriteGraphDefFile(const std::string& path, const proto::GraphDef& gd) {
  std::string out;
  if (IsTextFormatPath(path)) {
    if (!google::protobuf::TextFormat::PrintToString(gd, &out)) return Internal("cannot print GraphDef as text");
  } else {
    out = SerializeDeterministic(gd);
  }
  return WriteFileAtomically(path, out);
}

StatusOr<std::unique_ptr<Graph>> LoadGraph(const std::string& path) {
  proto::GraphDef gd;
  KILN_RETURN_IF_ERROR(ReadGraphDefFile(path, &gd));
  auto graph = std::make_unique<Graph>();
  KILN_RETURN_IF_ERROR(ImportGraphDef(gd, graph.get()).WithContext(path));
  return graph;
}

Status SaveGraph(const Graph& graph, const std::string& path) { return WriteGraphDefFile(path, ToGraphDef(graph)); }

}  // namespace kiln
