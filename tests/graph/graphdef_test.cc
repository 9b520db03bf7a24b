// GraphDef import/export: TF's wire format, round trips, and hostile input.
#include "graph/graphdef.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <unistd.h>

#include <filesystem>

#include "graph/builder/kiln.h"
#include "passes/gradients.h"
#include "proto/attr_value.pb.h"
#include "runtime/session.h"

namespace kiln {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("kiln_graphdef_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

// A small softmax graph with variables and its gradient nodes.
void BuildSoftmax(Graph& g) {
  auto guard = as_default(g);
  auto x = placeholder(float32, {-1, 4}, "x");
  Variable W(constant(Tensor::FromVector<float>({.1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f}, {4, 2})), "W");
  Variable b(zeros({2}), "b");
  auto y = nn::softmax(matmul(x, W) + b, "y");
  auto loss = reduce_mean(-log(y), {}, false, "loss");
  Gradients({loss}, {W.value(), b.value()}).status().IgnoreError();
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
}

TEST(GraphDefTest, FieldNumbersMatchTensorFlow) {
  auto field = [](const google::protobuf::Descriptor* d, const char* name) {
    const auto* f = d->FindFieldByName(name);
    return f ? f->number() : -1;
  };
  const auto* graph = proto::GraphDef::descriptor();
  EXPECT_EQ(field(graph, "node"), 1);
  EXPECT_EQ(field(graph, "library"), 2);
  EXPECT_EQ(field(graph, "version"), 3);
  EXPECT_EQ(field(graph, "versions"), 4);
  const auto* node = proto::NodeDef::descriptor();
  EXPECT_EQ(field(node, "name"), 1);
  EXPECT_EQ(field(node, "op"), 2);
  EXPECT_EQ(field(node, "input"), 3);
  EXPECT_EQ(field(node, "device"), 4);
  EXPECT_EQ(field(node, "attr"), 5);
  const auto* attr = proto::AttrValue::descriptor();
  EXPECT_EQ(field(attr, "list"), 1);
  EXPECT_EQ(field(attr, "s"), 2);
  EXPECT_EQ(field(attr, "i"), 3);
  EXPECT_EQ(field(attr, "f"), 4);
  EXPECT_EQ(field(attr, "b"), 5);
  EXPECT_EQ(field(attr, "type"), 6);
  EXPECT_EQ(field(attr, "shape"), 7);
  EXPECT_EQ(field(attr, "tensor"), 8);
  EXPECT_EQ(field(attr, "placeholder"), 9);
  EXPECT_EQ(field(attr, "func"), 10);
  const auto* tensor = proto::TensorProto::descriptor();
  EXPECT_EQ(field(tensor, "dtype"), 1);
  EXPECT_EQ(field(tensor, "tensor_shape"), 2);
  EXPECT_EQ(field(tensor, "tensor_content"), 4);
  EXPECT_EQ(field(tensor, "float_val"), 5);
  EXPECT_EQ(field(tensor, "int_val"), 7);
  EXPECT_EQ(field(tensor, "int64_val"), 10);
  EXPECT_EQ(field(tensor, "bool_val"), 11);
  EXPECT_EQ(field(tensor, "half_val"), 13);
  const auto* shape = proto::TensorShapeProto::descriptor();
  EXPECT_EQ(field(shape, "dim"), 2);
  EXPECT_EQ(field(shape, "unknown_rank"), 3);
  EXPECT_EQ(proto::DT_FLOAT, 1);
  EXPECT_EQ(proto::DT_INT64, 9);
  EXPECT_EQ(proto::DT_BOOL, 10);
  EXPECT_EQ(proto::DT_FLOAT_REF, 101);
}

TEST(GraphDefTest, RoundTripPreservesStructureAndAttrs) {
  Graph g;
  BuildSoftmax(g);
  proto::GraphDef gd = ToGraphDef(g);
  Graph g2;
  ASSERT_TRUE(ImportGraphDef(gd, &g2).ok());
  ASSERT_EQ(g2.num_nodes(), g.num_nodes());
  for (Node* n : g.nodes()) {
    Node* m = g2.FindNode(n->name());
    ASSERT_NE(m, nullptr) << n->name();
    EXPECT_EQ(m->op(), n->op());
    ASSERT_EQ(m->num_inputs(), n->num_inputs());
    for (int i = 0; i < n->num_inputs(); ++i) EXPECT_EQ(m->input(i).name(), n->input(i).name());
    EXPECT_EQ(m->control_inputs().size(), n->control_inputs().size());
    for (const auto& [k, v] : n->attrs()) {
      ASSERT_NE(m->FindAttr(k), nullptr) << n->name() << " " << k;
      EXPECT_TRUE(AttrValuesEqual(*m->FindAttr(k), v)) << n->name() << " " << k;
    }
    for (int o = 0; o < n->num_outputs(); ++o) EXPECT_EQ(m->output_type(o).ToString(), n->output_type(o).ToString());
  }
  // And the second export is identical to the first.
  EXPECT_TRUE(SerializeDeterministic(ToGraphDef(g2)) == SerializeDeterministic(gd));
}

TEST(GraphDefTest, InputsAreWrittenAsTensorFlowDoes) {
  Graph g;
  auto guard = as_default(g);
  auto x = placeholder(float32, {2, 3}, "x");
  auto s = nn::softmax_cross_entropy_with_logits_v2(x, x, "xent");
  Node* grad_user;
  {
    control_dependencies deps({s});
    grad_user = identity(Output(s.node, 1), "use_backprop").node;
  }
  proto::GraphDef gd = ToGraphDef(g);
  const proto::NodeDef* nd = nullptr;
  for (const auto& n : gd.node()) if (n.name() == grad_user->name()) nd = &n;
  ASSERT_NE(nd, nullptr);
  ASSERT_EQ(nd->input_size(), 2);
  EXPECT_EQ(nd->input(0), "xent:1");
  EXPECT_EQ(nd->input(1), "^xent");
}

TEST(GraphDefTest, BinaryTextBinaryIsByteIdentical) {
  Graph g;
  BuildSoftmax(g);
  std::string pb = TempPath("a.pb"), txt = TempPath("a.pbtxt"), pb2 = TempPath("b.pb");
  ASSERT_TRUE(SaveGraph(g, pb).ok());
  proto::GraphDef gd;
  ASSERT_TRUE(ReadGraphDefFile(pb, &gd).ok());
  ASSERT_TRUE(WriteGraphDefFile(txt, gd).ok());
  proto::GraphDef gd2;
  ASSERT_TRUE(ReadGraphDefFile(txt, &gd2).ok());
  ASSERT_TRUE(WriteGraphDefFile(pb2, gd2).ok());
  std::string a, b;
  ASSERT_TRUE(ReadFileToString(pb, &a).ok());
  ASSERT_TRUE(ReadFileToString(pb2, &b).ok());
  EXPECT_EQ(a, b);
}

TEST(GraphDefTest, ImportsNodesInAnyOrder) {
  proto::GraphDef gd;
  auto* add = gd.add_node();
  add->set_name("sum");
  add->set_op("AddV2");
  add->add_input("a");
  add->add_input("a:0");
  auto* a = gd.add_node();
  a->set_name("a");
  a->set_op("Const");
  Tensor v = Tensor::FromVector<float>({1, 2}, {2});
  TensorToProto(v, (*a->mutable_attr())["value"].mutable_tensor());
  (*a->mutable_attr())["dtype"].set_type(proto::DT_FLOAT);
  Graph g;
  ASSERT_TRUE(ImportGraphDef(gd, &g).ok());
  // AddV2's missing T attr was inferred from its inputs, as TF fills it in.
  EXPECT_EQ(g.FindNode("sum")->attr<DataType>("T"), DT_FLOAT);
  Session sess(g);
  auto r = sess.run(Output(g.FindNode("sum"), 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data<float>()[1], 4.0f);
}

TEST(GraphDefTest, AttrDefaultsAreFilledIn) {
  Graph g;
  ASSERT_TRUE(ImportGraphDef([] {
    proto::GraphDef gd;
    auto* p = gd.add_node();
    p->set_name("p");
    p->set_op("Placeholder");
    (*p->mutable_attr())["dtype"].set_type(proto::DT_FLOAT);
    auto* m = gd.add_node();
    m->set_name("m");
    m->set_op("MatMul");
    m->add_input("p");
    m->add_input("p");
    return gd;
  }(), &g).ok());
  EXPECT_FALSE(g.FindNode("m")->attr<bool>("transpose_a"));
  EXPECT_TRUE(g.FindNode("p")->attr<Shape>("shape").unknown_rank());
}

TEST(GraphDefTest, CycleIsAnErrorNamingTheNodes) {
  proto::GraphDef gd;
  for (auto [name, in] : {std::pair{"a", "b"}, std::pair{"b", "a"}}) {
    auto* n = gd.add_node();
    n->set_name(name);
    n->set_op("Identity");
    n->add_input(in);
  }
  Graph g;
  Status s = ImportGraphDef(gd, &g);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("a"), std::string::npos);
}

TEST(GraphDefTest, MissingInputIsAnErrorNamingTheNode) {
  proto::GraphDef gd;
  auto* n = gd.add_node();
  n->set_name("lonely");
  n->set_op("Identity");
  n->add_input("ghost:1");
  Graph g;
  Status s = ImportGraphDef(gd, &g);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("lonely"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("ghost"), std::string::npos) << s.message();
}

TEST(GraphDefTest, UnknownOpIsNotFound) {
  proto::GraphDef gd;
  auto* n = gd.add_node();
  n->set_name("w");
  n->set_op("FancyOp");
  Graph g;
  Status s = ImportGraphDef(gd, &g);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("Op type not registered 'FancyOp'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'w'"), std::string::npos) << s.message();
}

TEST(GraphDefTest, WrongInputDtypeIsAnError) {
  Graph g;
  auto guard = as_default(g);
  placeholder(float32, {2}, "f");
  placeholder(int32, {2}, "i");
  proto::GraphDef gd = ToGraphDef(g);
  auto* n = gd.add_node();
  n->set_name("bad");
  n->set_op("AddV2");
  n->add_input("f");
  n->add_input("i");
  Graph g2;
  Status s = ImportGraphDef(gd, &g2);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("int32"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("bad"), std::string::npos) << s.message();
}

TEST(GraphDefTest, TensorValuesSplatTheLastElement) {
  proto::TensorProto p;
  p.set_dtype(proto::DT_FLOAT);
  p.mutable_tensor_shape()->add_dim()->set_size(4);
  p.add_float_val(1.5f);
  p.add_float_val(2.5f);
  Tensor t;
  ASSERT_TRUE(TensorFromProto(p, &t).ok());
  EXPECT_EQ(t.data<float>()[0], 1.5f);
  EXPECT_EQ(t.data<float>()[3], 2.5f);
  proto::TensorProto empty;
  empty.set_dtype(proto::DT_INT32);
  empty.mutable_tensor_shape()->add_dim()->set_size(3);
  ASSERT_TRUE(TensorFromProto(empty, &t).ok());
  EXPECT_EQ(t.data<int32_t>()[2], 0);
}

TEST(GraphDefTest, HostileTensorShapeIsRefusedBeforeAllocating) {
  proto::TensorProto p;
  p.set_dtype(proto::DT_FLOAT);
  for (int i = 0; i < 3; ++i) p.mutable_tensor_shape()->add_dim()->set_size(int64_t{1} << 40);
  Tensor t;
  Status s = TensorFromProto(p, &t);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
}

TEST(GraphDefTest, TensorContentOfTheWrongSizeIsAnError) {
  proto::TensorProto p;
  p.set_dtype(proto::DT_FLOAT);
  p.mutable_tensor_shape()->add_dim()->set_size(4);
  p.set_tensor_content(std::string(15, '\0'));
  Tensor t;
  Status s = TensorFromProto(p, &t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("15 bytes"), std::string::npos) << s.message();
}

TEST(GraphDefTest, TruncatedOrGarbageFilesAreErrors) {
  Graph g;
  BuildSoftmax(g);
  std::string pb = TempPath("t.pb");
  ASSERT_TRUE(SaveGraph(g, pb).ok());
  std::string bytes;
  ASSERT_TRUE(ReadFileToString(pb, &bytes).ok());
  for (size_t cut : {bytes.size() / 2, bytes.size() - 3, size_t{7}}) {
    std::string path = TempPath("cut.pb");
    ASSERT_TRUE(WriteFileAtomically(path, bytes.substr(0, cut)).ok());
    auto loaded = LoadGraph(path);
    EXPECT_FALSE(loaded.ok()) << "cut at " << cut;
  }
  std::string garbage = TempPath("garbage.pb");
  ASSERT_TRUE(WriteFileAtomically(garbage, std::string("\x89PNG\r\n\x1a\n\xff\xfe garbage \x01\x02", 22)).ok());
  EXPECT_FALSE(LoadGraph(garbage).ok());
  auto missing = LoadGraph(TempPath("does_not_exist.pb"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST(GraphDefTest, HundredThousandNodeChainImportsAndRuns) {
  Graph g;
  {
    auto guard = as_default(g);
    Output x = placeholder(float32, {}, "x");
    Output one = constant(1.0);
    for (int i = 0; i < 100000; ++i) x = add(x, one);
    identity(x, "out");
  }
  ASSERT_TRUE(g.build_status().ok());
  proto::GraphDef gd = ToGraphDef(g);
  std::reverse(gd.mutable_node()->begin(), gd.mutable_node()->end());  // worst case for ordering
  Graph g2;
  ASSERT_TRUE(ImportGraphDef(gd, &g2).ok());
  Session sess(g2);
  auto r = sess.run(Output(g2.FindNode("out"), 0), {{Output(g2.FindNode("x"), 0), Tensor::Scalar<float>(0.f)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->scalar<float>(), 100000.0f);
}

}  // namespace
}  // namespace kiln
