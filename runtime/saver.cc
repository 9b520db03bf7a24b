#include "runtime/saver.h"

#include <filesystem>
#include <fstream>

#include "graph/graphdef.h"
#include "runtime/checkpoint/tensor_bundle.h"

namespace kiln::train {
namespace {

// GraphKeys::GLOBAL_VARIABLES (graph/ops/state_ops.h), spelled here so runtime/ stays below the builder API.
const char* kGlobalVariables = "variables";

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::vector<std::string> Saver::VariableNames(Session& sess) const {
  if (!names_.empty()) return names_;
  std::vector<std::string> names;
  for (Node* n : sess.graph().GetCollection(kGlobalVariables)) names.push_back(n->name());
  return names;
}

StatusOr<std::string> Saver::save(Session& sess, const std::string& save_path, int64_t global_step) {
  std::map<std::string, Tensor> tensors;
  for (const std::string& name : VariableNames(sess)) {
    VariableStorage* v = sess.variables().Find(name);
    if (!v || !v->initialized) return FailedPrecondition("Attempting to use uninitialized value " + name + " (while saving)");
    tensors[name] = v->value;
  }
  if (tensors.empty()) return InvalidArgument("No variables to save");
  std::string prefix = global_step >= 0 ? save_path + "-" + std::to_string(global_step) : save_path;
  KILN_RETURN_IF_ERROR(checkpoint::WriteBundle(prefix, tensors));
  // The state file TF's latest_checkpoint reads (text-format CheckpointState).
  std::filesystem::path p(prefix);
  std::string base = p.filename().string();
  std::string state = "model_checkpoint_path: " + Quoted(base) + "\nall_model_checkpoint_paths: " + Quoted(base) + "\n";
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  KILN_RETURN_IF_ERROR(WriteFileAtomically((dir / "checkpoint").string(), state));
  return prefix;
}

Status Saver::restore(Session& sess, const std::string& save_path) {
  if (save_path.empty()) return NotFound("no checkpoint to restore (empty path)");
  KILN_ASSIGN_OR_RETURN(auto tensors, checkpoint::ReadBundle(save_path));
  for (const std::string& name : VariableNames(sess)) {
    Node* node = sess.graph().FindNode(name);
    if (!node || node->num_outputs() != 1 || !node->output_type(0).is_ref) {
      return NotFound("no variable named '" + name + "' in the graph");
    }
    auto it = tensors.find(name);
    if (it == tensors.end()) return NotFound("Key " + name + " not found in checkpoint " + save_path);
    const TensorType& t = node->output_type(0);
    if (it->second.dtype() != t.dtype || !t.shape.IsCompatibleWith(it->second.shape())) {
      return InvalidArgument("Assign requires shapes of both tensors to match: variable " + name + " is " +
                             DataTypeName(t.dtype) + t.shape.ToString() + " but the checkpoint holds " +
                             it->second.DebugString());
    }
    KILN_ASSIGN_OR_RETURN(VariableStorage * v, sess.variables().GetOrCreate(name, t.dtype, t.shape));
    KILN_RETURN_IF_ERROR(v->Assign(it->second));
  }
  return OkStatus();
}

std::string latest_checkpoint(const std::string& dir) {
  std::ifstream in((std::filesystem::path(dir) / "checkpoint").string());
  std::string line;
  const std::string key = "model_checkpoint_path:";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    size_t a = line.find('"'), b = line.rfind('"');
    if (a == std::string::npos || b <= a) return "";
    std::string path = line.substr(a + 1, b - a - 1);
    return std::filesystem::path(path).is_absolute() ? path : (std::filesystem::path(dir) / path).string();
  }
  return "";
}

}  // namespace kiln::train
