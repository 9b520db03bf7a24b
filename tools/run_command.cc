// kiln run GRAPH: runs targets and fetches of a GraphDef with .npy feeds, like sess.run. With
// tests/tools/check_tf_import.py it checks that Kiln and TensorFlow compute the same on one graph.
#include <cstdio>

#include "graph/graphdef.h"
#include "runtime/data/npy.h"
#include "runtime/session.h"
#include "tools/command.h"
#include "tools/graph_loading.h"

namespace kiln::cli {
namespace {

// Splits "name=path".
bool SplitPair(const std::string& s, std::string* a, std::string* b) {
  size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) return false;
  *a = s.substr(0, eq);
  *b = s.substr(eq + 1);
  return true;
}

int Run(const std::vector<std::string>& raw_args) {
  // Repeatable options are collected by hand; Options keeps one value per name.
  std::vector<std::string> feeds, fetches, targets, rest;
  for (size_t i = 0; i < raw_args.size(); ++i) {
    const std::string& a = raw_args[i];
    std::vector<std::string>* list = a == "--feed" ? &feeds : a == "--fetch" ? &fetches : a == "--target" ? &targets : nullptr;
    if (!list) {
      rest.push_back(a);
      continue;
    }
    if (i + 1 >= raw_args.size()) return Fail("run", "option " + a + " needs a value", 2);
    list->push_back(raw_args[++i]);
  }
  Options options({}, {});
  std::string error;
  if (!options.Parse(rest, &error)) return Fail("run", error, 2);
  if (options.positional().size() != 1) return Fail("run", "expected one GRAPH argument (see kiln run --help)", 2);
  std::unique_ptr<Graph> g = LoadGraphOrReport("run", options.positional()[0]);
  if (!g) return 1;
  Session sess(*g);
  FeedDict feed_dict;
  for (const std::string& f : feeds) {
    std::string name, path;
    if (!SplitPair(f, &name, &path)) return Fail("run", "--feed needs NAME=FILE.npy, got '" + f + "'", 2);
    StatusOr<Output> t = g->FindOutput(name);
    if (!t.ok()) return Fail("run", OneLine(t.status().ToString()));
    StatusOr<Tensor> v = data::ReadNpy(path);
    if (!v.ok()) return Fail("run", OneLine(v.status().ToString()));
    feed_dict.emplace_back(*t, *v);
  }
  for (const std::string& t : targets) {
    Node* n = g->FindNode(t);
    if (!n) return Fail("run", "no operation named '" + t + "' in the graph");
    Status s = sess.run(Operation(n), feed_dict);
    if (!s.ok()) return Fail("run", OneLine(s.ToString()));
  }
  for (const std::string& f : fetches) {
    std::string name = f, path;
    bool save = SplitPair(f, &name, &path);
    StatusOr<Output> t = g->FindOutput(name);
    if (!t.ok()) return Fail("run", OneLine(t.status().ToString()));
    StatusOr<Tensor> v = sess.run(*t, feed_dict);
    if (!v.ok()) return Fail("run", OneLine(v.status().ToString()));
    std::printf("%s: %s %s\n", name.c_str(), v->DebugString().c_str(), v->SummarizeValues(8).c_str());
    if (save) {
      Status s = data::WriteNpy(path, *v);
      if (!s.ok()) return Fail("run", OneLine(s.ToString()));
    }
  }
  return 0;
}

}  // namespace

Command RunCommand() {
  return {"run", "run a graph's targets and fetches with .npy feeds",
          "usage: kiln run GRAPH [--feed NAME=FILE.npy ...] [--target OP ...] [--fetch TENSOR[=OUT.npy] ...]\n\n"
          "Runs each --target operation in order (e.g. init, then a train op), then prints each --fetch\n"
          "tensor (saving it to OUT.npy when given). Every run uses all the feeds, as\n"
          "sess.run(..., feed_dict) does. Tensor names are TF's: \"y\" or \"y:0\".",
          Run};
}

}  // namespace kiln::cli
