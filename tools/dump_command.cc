// kiln dump GRAPH: every node in graph order, one header line and one attr line each (after the
// graph pipeline up to a pass with --after=PASS):
//
//   MatMul      = MatMul(x, W/read) -> float[?,10]
//                 T=float, transpose_a=false, transpose_b=false
//
// Names are padded to a common width so the ops line up in a column and the dump reads like a listing.
#include <algorithm>
#include <cstdio>

#include "passes/pipeline.h"
#include "passes/specialize.h"
#include "tools/command.h"
#include "tools/graph_loading.h"

namespace kiln::cli {
namespace {

constexpr size_t kMaxNameColumn = 32;

// Inputs as a GraphDef spells them: "x" for output 0, "x:1", and "^ctrl" for control inputs.
std::string InputList(const Node& n) {
  std::string s;
  auto add = [&s](const std::string& item) { s += (s.empty() ? "" : ", ") + item; };
  for (const Output& in : n.inputs()) {
    add(in.index == 0 ? in.node->name() : in.node->name() + ":" + std::to_string(in.index));
  }
  for (const Node* c : n.control_inputs()) add("^" + c->name());
  return s;
}

std::string OutputTypes(const Node& n) {
  std::string s;
  for (const TensorType& t : n.output_types()) s += (s.empty() ? "" : ", ") + t.ToString();
  return s;
}

// Attrs in key order (AttrMap is sorted). AttrValueToString already summarizes tensors as
// "float[784,10] {0 0 0 0 0 0...}", so a Const's value stays one short line however large it is.
std::string AttrList(const Node& n) {
  std::string s;
  for (const auto& [key, value] : n.attrs()) s += (s.empty() ? "" : ", ") + key + "=" + AttrValueToString(value);
  if (!n.device().empty()) s += (s.empty() ? "" : ", ") + std::string("device=\"") + n.device() + "\"";
  return s;
}

// Wide enough for nine names in ten: the few longest (gradient names, mostly) overflow their column
// rather than push every line to the right.
size_t NameColumnWidth(const std::vector<Node*>& nodes) {
  if (nodes.empty()) return 0;
  std::vector<size_t> lengths;
  for (const Node* n : nodes) lengths.push_back(n->name().size());
  std::sort(lengths.begin(), lengths.end());
  return std::min(lengths[lengths.size() * 9 / 10], kMaxNameColumn);
}

void PrintGraph(const Graph& g) {
  std::vector<Node*> nodes = g.nodes();
  size_t width = NameColumnWidth(nodes);
  const std::string attr_indent(width + 3, ' ');  // under the op column: name + " = "
  for (const Node* n : nodes) {
    std::string types = OutputTypes(*n);
    std::printf("%-*s = %s(%s)%s%s\n", static_cast<int>(width), n->name().c_str(), n->op().c_str(),
                InputList(*n).c_str(), types.empty() ? "" : " -> ", types.c_str());
    std::string attrs = AttrList(*n);
    if (!attrs.empty()) std::printf("%s%s\n", attr_indent.c_str(), attrs.c_str());
  }
}

// "name" or "name:1" as a fetched tensor; an op with no outputs ("train") as a target.
bool AddFetch(const Graph& g, const std::string& name, PassContext* run, std::string* error) {
  if (Node* n = g.FindNode(name); n && n->num_outputs() == 0) {
    run->targets.push_back(n);
    return true;
  }
  StatusOr<Output> t = g.FindOutput(name);
  if (!t.ok()) {
    *error = OneLine(t.status().message());
    return false;
  }
  run->fetches.push_back(*t);
  return true;
}

// With no --fetch, the run wants every sink: each node nothing reads (its outputs, or the op itself
// when it has none), so the pipeline prunes nothing a reader of the file could ask for.
void FetchSinks(const Graph& g, PassContext* run) {
  for (Node* n : g.nodes()) {
    if (!n->uses().empty()) continue;
    if (n->num_outputs() == 0) run->targets.push_back(n);
    for (int i = 0; i < n->num_outputs(); ++i) run->fetches.push_back(Output(n, i));
  }
}

// "x=100,784" -> a feed of x at that shape, in x's dtype.
bool ParseFeedShape(const Graph& g, const std::string& spec, FeedSpec* feed, std::string* error) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    *error = "--feed-shape needs NAME=D0,D1,... (e.g. x=100,784), got '" + spec + "'";
    return false;
  }
  StatusOr<Output> t = g.FindOutput(spec.substr(0, eq));
  if (!t.ok()) {
    *error = OneLine(t.status().message());
    return false;
  }
  std::vector<int64_t> dims;
  std::string rest = spec.substr(eq + 1);
  for (size_t pos = 0; pos < rest.size();) {
    size_t comma = std::min(rest.find(',', pos), rest.size());
    std::string d = rest.substr(pos, comma - pos);
    if (d.empty() || d.size() > 12 || !std::all_of(d.begin(), d.end(), ::isdigit)) {
      *error = "--feed-shape " + spec + ": dimension '" + d + "' is not a non-negative integer";
      return false;
    }
    dims.push_back(std::stoll(d));
    pos = comma + 1;
  }
  *feed = {*t, t->dtype(), dims};
  return true;
}

// "is_training=true" -> a feed of the scalar bool is_training that the run is compiled for.
bool ParseFeedValue(const Graph& g, const std::string& spec, FeedSpec* feed, std::string* error) {
  size_t eq = spec.find('=');
  const std::string value = eq == std::string::npos ? "" : spec.substr(eq + 1);
  if (eq == 0 || (value != "true" && value != "false")) {
    *error = "--feed-value needs NAME=true or NAME=false (a scalar bool such as is_training), got '" + spec + "'";
    return false;
  }
  StatusOr<Output> t = g.FindOutput(spec.substr(0, eq));
  if (!t.ok()) {
    *error = OneLine(t.status().message());
    return false;
  }
  if (t->dtype() != DT_BOOL) {
    *error = "--feed-value " + spec + ": '" + t->name() + "' has dtype " + DataTypeName(t->dtype()) + ", not bool";
    return false;
  }
  *feed = {*t, DT_BOOL, {}, value == "true"};
  return true;
}

// LLVM's -time-passes: one line per pass that ran, on stderr so stdout stays a dump.
void PrintPassTable(const std::vector<PassEvent>& events) {
  std::fprintf(stderr, "%-10s %10s %8s %8s  %s\n", "pass", "ms", "before", "after", "changed");
  for (const PassEvent& e : events) {
    std::fprintf(stderr, "%-10s %10.3f %8d %8d  %s\n", e.pass.c_str(), e.ms, e.nodes_before, e.nodes_after,
                 e.changed ? "yes" : "no");
  }
}

int Run(const std::vector<std::string>& args) {
  Options options({"after"}, {"time-passes"}, {"fetch", "feed-shape", "feed-value"});
  std::string error;
  if (!options.Parse(args, &error)) return Fail("dump", error, 2);
  if (options.positional().size() != 1) return Fail("dump", "expected one GRAPH argument (see kiln dump --help)", 2);
  std::unique_ptr<Graph> g = LoadGraphOrReport("dump", options.positional()[0]);
  if (!g) return 1;
  const std::vector<std::string> fetches = options.GetAll("fetch"), feed_shapes = options.GetAll("feed-shape"),
                                 feed_values = options.GetAll("feed-value");
  if (!options.Has("after") && !options.Has("time-passes") && fetches.empty() && feed_shapes.empty() &&
      feed_values.empty()) {
    PrintGraph(*g);
    return 0;
  }
  PipelineOptions pipeline;
  pipeline.stop_after = options.Get("after");
  if (pipeline.stop_after.empty() && options.Has("after")) return Fail("dump", "--after needs a pass name", 2);
  if (!pipeline.stop_after.empty()) {
    if (StatusOr<std::unique_ptr<GraphPass>> pass = MakePass(pipeline.stop_after); !pass.ok()) {
      return Fail("dump", pass.status().message(), 2);
    }
  }
  std::vector<PassEvent> events;
  pipeline.after_each_pass = [&](const PassEvent& e) { events.push_back(e); };

  PassContext run;
  for (const std::string& f : fetches) if (!AddFetch(*g, f, &run, &error)) return Fail("dump", error);
  if (fetches.empty()) FetchSinks(*g, &run);
  std::vector<FeedSpec> feeds(feed_shapes.size() + feed_values.size());
  for (size_t i = 0; i < feed_shapes.size(); ++i) {
    if (!ParseFeedShape(*g, feed_shapes[i], &feeds[i], &error)) return Fail("dump", error, 2);
  }
  for (size_t i = 0; i < feed_values.size(); ++i) {
    if (!ParseFeedValue(*g, feed_values[i], &feeds[feed_shapes.size() + i], &error)) return Fail("dump", error, 2);
  }
  const Graph* result = g.get();
  SpecializedGraph specialized;
  if (!feeds.empty()) {
    // As Session::Run compiles it: the fed tensors become placeholders of the given shapes.
    StatusOr<SpecializedGraph> s = SpecializeForRun(feeds, run.fetches, run.targets, pipeline);
    if (!s.ok()) return Fail("dump", OneLine(s.status().ToString()));
    specialized = std::move(*s);
    result = specialized.graph.get();
  } else if (StatusOr<bool> changed = RunGraphPipeline(*g, run, pipeline); !changed.ok()) {
    return Fail("dump", OneLine(changed.status().ToString()));
  }
  PrintGraph(*result);
  if (options.Has("time-passes")) PrintPassTable(events);
  return 0;
}

}  // namespace

Command DumpCommand() {
  return {"dump", "print every node: op, inputs, attrs, inferred output types",
          "usage: kiln dump GRAPH [--after=PASS] [--fetch NAME]... [--feed-shape NAME=DIMS]... [--feed-value NAME=BOOL]...\n"
          "                 [--time-passes]\n\n"
          "Prints each node of GRAPH (.pb binary or .pbtxt text GraphDef) in graph order as\n"
          "  name = Op(input, input:1, ^control) -> output types\n"
          "followed by an indented line of its attrs (key=value, sorted by key; tensor values are\n"
          "summarized to their first few elements).\n\n"
          "options:\n"
          "  --after=PASS          run the graph pipeline up to and including PASS and print that graph\n"
          "                        (passes: " + RegisteredPassNames() + ")\n"
          "  --fetch NAME          a tensor (name or name:1) or op the run wants; repeatable; default:\n"
          "                        every node nothing reads\n"
          "  --feed-shape NAME=D0,D1,...\n"
          "                        feed NAME at this shape and compile as Session::Run does (the fed\n"
          "                        tensors become placeholders, so every shape is known); repeatable\n"
          "  --feed-value NAME=true|false\n"
          "                        feed the scalar bool NAME (is_training) with this value, as Session::Run\n"
          "                        compiles one executable per value: the conds on it keep their taken side\n"
          "  --time-passes         after the dump, print each pass's time, node counts before and after,\n"
          "                        and whether it changed the graph (on stderr)\n"
          "With --fetch, --feed-shape, --feed-value or --time-passes and no --after, the whole pipeline runs.",
          Run};
}

}  // namespace kiln::cli
