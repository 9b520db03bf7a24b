#include "runtime/variable_store.h"

namespace kiln {

StatusOr<VariableStorage*> VariableStore::GetOrCreate(const std::string& name, DataType dtype, const Shape& shape) {
  auto it = vars_.find(name);
  if (it != vars_.end()) {
    if (it->second->dtype != dtype) {
      return InvalidArgument("variable '" + name + "' exists with dtype " + DataTypeName(it->second->dtype) +
                             ", requested as " + DataTypeName(dtype));
    }
    return it->second.get();
  }
  auto v = std::make_unique<VariableStorage>();
  v->name = name;
  v->dtype = dtype;
  v->shape = shape;
  VariableStorage* raw = v.get();
  vars_[name] = std::move(v);
  return raw;
}

VariableStorage* VariableStore::Find(const std::string& name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : it->second.get();
}

std::vector<VariableStorage*> VariableStore::All() const {
  std::vector<VariableStorage*> out;
  for (const auto& [name, v] : vars_) out.push_back(v.get());
  return out;
}

}  // namespace kiln
