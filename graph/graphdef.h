// Conversion between the in-memory Graph and TensorFlow's GraphDef protobuf (binary .pb or text
// .pbtxt), and the file I/O around it. Every GraphDef is treated as hostile: sizes and references
// are checked before use and errors name the node.
#pragma once

#include <memory>
#include <string>

#include "graph/graph.h"
#include "proto/graph.pb.h"

namespace kiln {

// Graph -> GraphDef, nodes in id order (a topological order for built graphs).
proto::GraphDef ToGraphDef(const Graph& graph);
// Adds the GraphDef's nodes to `graph` (empty or not), in dependency order, checking every node
// against its op's signature and inferring types.
Status ImportGraphDef(const proto::GraphDef& graph_def, Graph* graph);

Status TensorFromProto(const proto::TensorProto& p, Tensor* out);
void TensorToProto(const Tensor& t, proto::TensorProto* p);

// Reads binary or text format (chosen by extension: .pbtxt/.txt/.prototxt are text; anything else
// is tried as binary, then as text).
Status ReadGraphDefFile(const std::string& path, proto::GraphDef* graph_def);
// Writes binary or text by extension, atomically (temp file, fsync, rename). Binary output is
// deterministic (map entries sorted), so convert .pb -> .pbtxt -> .pb reproduces the bytes.
Status WriteGraphDefFile(const std::string& path, const proto::GraphDef& graph_def);

// Binary encoding with map entries sorted, so equal GraphDefs give equal bytes.
std::string SerializeDeterministic(const proto::GraphDef& graph_def);

StatusOr<std::unique_ptr<Graph>> LoadGraph(const std::string& path);
Status SaveGraph(const Graph& graph, const std::string& path);

// Writes `contents` to `path` through a temp file + fsync + rename. What a user saved (graphs,
// checkpoints) is synced; a cache whose entries check themselves when read may pass
// `durable = false` and skip the fsync, which costs milliseconds per file on some disks.
Status WriteFileAtomically(const std::string& path, const std::string& contents, bool durable = true);
Status ReadFileToString(const std::string& path, std::string* contents);

bool IsTextFormatPath(const std::string& path);

}  // namespace kiln
