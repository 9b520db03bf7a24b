// kiln convert IN OUT: binary <-> text GraphDef, at the protobuf level so graphs with ops Kiln does
// not know convert losslessly.
#include "graph/graphdef.h"
#include "tools/command.h"

namespace kiln::cli {
namespace {

int Run(const std::vector<std::string>& args) {
  Options options({}, {"check"});
  std::string error;
  if (!options.Parse(args, &error)) return Fail("convert", error, 2);
  if (options.positional().size() != 2) return Fail("convert", "expected IN and OUT (see kiln convert --help)", 2);
  const std::string& in = options.positional()[0];
  const std::string& out = options.positional()[1];
  proto::GraphDef gd;
  Status s = ReadGraphDefFile(in, &gd);
  if (!s.ok()) return Fail("convert", s.ToString());
  if (options.Has("check")) {
    Graph g;
    s = ImportGraphDef(gd, &g);
    if (!s.ok()) {
      std::string msg = s.ToString();
      for (char& c : msg) if (c == '\n' || c == '\t') c = ' ';
      return Fail("convert", in + ": " + msg);
    }
  }
  s = WriteGraphDefFile(out, gd);
  if (!s.ok()) return Fail("convert", s.ToString());
  return 0;
}

}  // namespace

Command ConvertCommand() {
  return {"convert", "convert a GraphDef between binary (.pb) and text (.pbtxt)",
          "usage: kiln convert IN OUT [--check]\n\nReads IN (binary or text GraphDef) and writes OUT in the format its\n"
          "extension names (.pbtxt/.txt: text; anything else: binary). Binary output is deterministic,\n"
          "so .pb -> .pbtxt -> .pb reproduces the bytes of a Kiln-written graph.\n"
          "  --check   also load the graph into Kiln and report the first error",
          Run};
}

}  // namespace kiln::cli
