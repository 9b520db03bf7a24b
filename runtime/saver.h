// tf.train.Saver: saves and restores a Session's variables by name in TF's V2 checkpoint format
// (runtime/checkpoint/tensor_bundle.h), with the `checkpoint` state file next to it, so TF users
// can read Kiln checkpoints (tf.train.load_checkpoint) and the reverse.
//
//   tf::train::Saver saver;                      // all global variables
//   saver.save(sess, "/tmp/model.ckpt", step);   // /tmp/model.ckpt-<step>.index / .data-00000-of-00001
//   saver.restore(sess, tf::train::latest_checkpoint("/tmp"));
#pragma once

#include <string>
#include <vector>

#include "runtime/session.h"

namespace kiln::train {

class Saver {
 public:
  // Every variable in the graph's GLOBAL_VARIABLES collection.
  Saver() = default;
  // The given variables (anything with a name(): tf::Variable, or names as strings).
  template <typename V>
  explicit Saver(const std::vector<V>& var_list) {
    for (const V& v : var_list) names_.push_back(NameOf(v));
  }

  // Writes every variable's value; returns the checkpoint prefix ("<path>-<step>" with a step).
  StatusOr<std::string> save(Session& sess, const std::string& save_path, int64_t global_step = -1);
  // Loads every variable from the checkpoint, checking dtypes and shapes against the graph.
  Status restore(Session& sess, const std::string& save_path);

 private:
  template <typename V>
  static std::string NameOf(const V& v) {
    if constexpr (std::is_convertible_v<V, std::string>) return std::string(v);
    else return v.name();
  }
  std::vector<std::string> VariableNames(Session& sess) const;
  std::vector<std::string> names_;
};

// The prefix recorded in <dir>/checkpoint (model_checkpoint_path), or "" if there is none.
std::string latest_checkpoint(const std::string& dir);

}  // namespace kiln::train
