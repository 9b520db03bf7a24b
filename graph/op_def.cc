#include "graph/op_def.h"

#include <cctype>
#include <cstdlib>
#include <sstream>

namespace kiln {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> SplitTopLevel(const std::string& s, char sep) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string cur;
  for (char c : s) {
    if (c == '[' || c == '{' || c == '(') ++depth;
    if (c == ']' || c == '}' || c == ')') --depth;
    if (c == sep && depth == 0) {
      parts.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!Trim(cur).empty()) parts.push_back(Trim(cur));
  return parts;
}

StatusOr<Shape> ParseShapeLiteral(const std::string& text) {
  std::string t = Trim(text);
  if (t == "unknown" || t == "<unknown>") return Shape::UnknownRank();
  if (t.size() < 2 || t.front() != '[' || t.back() != ']') {
    return InvalidArgument("bad shape literal '" + text + "'");
  }
  std::vector<int64_t> dims;
  for (const std::string& p : SplitTopLevel(t.substr(1, t.size() - 2), ',')) {
    if (p == "?" || p == "-1") dims.push_back(-1);
    else dims.push_back(std::strtoll(p.c_str(), nullptr, 10));
  }
  return Shape(dims);
}

StatusOr<ArgDef> ParseArg(const std::string& spec, const std::vector<AttrDef>& attrs) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos) return InvalidArgument("arg spec '" + spec + "' lacks ':'");
  ArgDef arg;
  arg.name = Trim(spec.substr(0, colon));
  std::string type = Trim(spec.substr(colon + 1));
  if (size_t star = type.find('*'); star != std::string::npos) {
    arg.number_attr = Trim(type.substr(0, star));
    type = Trim(type.substr(star + 1));
  }
  if (type.rfind("Ref(", 0) == 0 && type.back() == ')') {
    arg.is_ref = true;
    type = Trim(type.substr(4, type.size() - 5));
  }
  bool is_attr = false;
  for (const AttrDef& a : attrs) if (a.name == type && a.type == "type") is_attr = true;
  if (is_attr) {
    arg.type_attr = type;
  } else if (!ParseDataType(type, &arg.fixed_type)) {
    return InvalidArgument("arg spec '" + spec + "': '" + type + "' is neither a type attr nor a dtype");
  }
  return arg;
}

StatusOr<AttrDef> ParseAttr(const std::string& spec) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos) return InvalidArgument("attr spec '" + spec + "' lacks ':'");
  AttrDef attr;
  attr.name = Trim(spec.substr(0, colon));
  std::string rest = Trim(spec.substr(colon + 1));
  std::string default_text;
  if (size_t eq = rest.find('='); eq != std::string::npos && rest.find(">=") != eq - 1) {
    default_text = Trim(rest.substr(eq + 1));
    rest = Trim(rest.substr(0, eq));
  }
  if (size_t ge = rest.find(">="); ge != std::string::npos) {
    attr.minimum = std::strtoll(Trim(rest.substr(ge + 2)).c_str(), nullptr, 10);
    rest = Trim(rest.substr(0, ge));
  }
  if (!rest.empty() && rest.front() == '{') {
    attr.type = "type";
    for (const std::string& t : SplitTopLevel(rest.substr(1, rest.size() - 2), ',')) {
      DataType dt;
      if (!ParseDataType(t, &dt)) return InvalidArgument("attr spec '" + spec + "': unknown type " + t);
      attr.allowed_types.push_back(dt);
    }
  } else {
    attr.type = rest;
  }
  if (!default_text.empty()) {
    KILN_ASSIGN_OR_RETURN(AttrValue v, ParseAttrLiteral(attr.type, default_text));
    attr.default_value = std::move(v);
  }
  return attr;
}

}  // namespace

StatusOr<AttrValue> ParseAttrLiteral(const std::string& type, const std::string& raw) {
  std::string text = Trim(raw);
  auto bad = [&] { return InvalidArgument("cannot parse '" + raw + "' as " + type); };
  if (type == "bool") {
    if (text == "true") return AttrValue(true);
    if (text == "false") return AttrValue(false);
    return bad();
  }
  if (type == "int") {
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end) return bad();
    return AttrValue(static_cast<int64_t>(v));
  }
  if (type == "float") {
    char* end = nullptr;
    float v = std::strtof(text.c_str(), &end);
    if (text.empty() || *end) return bad();
    return AttrValue(v);
  }
  if (type == "string") {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
      return AttrValue(text.substr(1, text.size() - 2));
    }
    return AttrValue(text);
  }
  if (type == "type") {
    DataType dt;
    if (!ParseDataType(text, &dt)) return bad();
    return AttrValue(dt);
  }
  if (type == "shape") {
    KILN_ASSIGN_OR_RETURN(Shape s, ParseShapeLiteral(text));
    return AttrValue(s);
  }
  if (type.rfind("list(", 0) == 0) {
    if (text.size() < 2 || text.front() != '[' || text.back() != ']') return bad();
    std::string elem_type = type.substr(5, type.size() - 6);
    std::vector<std::string> parts = SplitTopLevel(text.substr(1, text.size() - 2), ',');
    if (elem_type == "int") {
      std::vector<int64_t> v;
      for (auto& p : parts) v.push_back(std::strtoll(p.c_str(), nullptr, 10));
      return AttrValue(v);
    }
    if (elem_type == "float") {
      std::vector<float> v;
      for (auto& p : parts) v.push_back(std::strtof(p.c_str(), nullptr));
      return AttrValue(v);
    }
    if (elem_type == "string") {
      std::vector<std::string> v;
      for (auto& p : parts) v.push_back(p.size() >= 2 && p.front() == '"' ? p.substr(1, p.size() - 2) : p);
      return AttrValue(v);
    }
    if (elem_type == "type") {
      std::vector<DataType> v;
      for (auto& p : parts) {
        DataType dt;
        if (!ParseDataType(p, &dt)) return bad();
        v.push_back(dt);
      }
      return AttrValue(v);
    }
  }
  return bad();
}

const AttrDef* OpDef::FindAttr(const std::string& attr_name) const {
  for (const AttrDef& a : attrs) if (a.name == attr_name) return &a;
  return nullptr;
}

OpDefBuilder::OpDefBuilder(std::string name) { def_.name = std::move(name); }
OpDefBuilder& OpDefBuilder::Input(std::string spec) { input_specs_.push_back(std::move(spec)); return *this; }
OpDefBuilder& OpDefBuilder::Output(std::string spec) { output_specs_.push_back(std::move(spec)); return *this; }
OpDefBuilder& OpDefBuilder::Attr(std::string spec) { attr_specs_.push_back(std::move(spec)); return *this; }
OpDefBuilder& OpDefBuilder::Shape(ShapeFn fn) { def_.shape_fn = std::move(fn); return *this; }
OpDefBuilder& OpDefBuilder::Grad(GradFn fn) { def_.grad_fn = std::move(fn); return *this; }
OpDefBuilder& OpDefBuilder::Kernel(KernelFn fn) { def_.kernel = std::move(fn); return *this; }
OpDefBuilder& OpDefBuilder::Lowering(OpLowering l) { def_.lowering = std::move(l); return *this; }
OpDefBuilder& OpDefBuilder::Elementwise(ElementwiseLoweringFn fn, int expr_inputs) {
  def_.lowering = OpLowering{OpLowering::Kind::kElementwise, "", std::move(fn), expr_inputs};
  return *this;
}
OpDefBuilder& OpDefBuilder::Stateful() { def_.is_stateful = true; return *this; }
OpDefBuilder& OpDefBuilder::Commutative() { def_.is_commutative = true; return *this; }
OpDefBuilder& OpDefBuilder::NotDifferentiable() { def_.not_differentiable = true; return *this; }
OpDefBuilder& OpDefBuilder::ForwardsRefInput() { def_.forwards_ref_input = true; return *this; }
OpDefBuilder& OpDefBuilder::SharesInputBuffer() { def_.shares_input_buffer = true; return *this; }
OpDefBuilder& OpDefBuilder::ControlFlow(ControlFlowKind kind) { def_.control_flow = kind; return *this; }
OpDefBuilder& OpDefBuilder::Doc(std::string s) { def_.summary = std::move(s); return *this; }

StatusOr<OpDef> OpDefBuilder::Finalize() const {
  OpDef def = def_;
  for (const std::string& spec : attr_specs_) {
    KILN_ASSIGN_OR_RETURN(AttrDef a, ParseAttr(spec));
    def.attrs.push_back(std::move(a));
  }
  for (const std::string& spec : input_specs_) {
    KILN_ASSIGN_OR_RETURN(ArgDef a, ParseArg(spec, def.attrs));
    def.inputs.push_back(std::move(a));
  }
  for (const std::string& spec : output_specs_) {
    KILN_ASSIGN_OR_RETURN(ArgDef a, ParseArg(spec, def.attrs));
    def.outputs.push_back(std::move(a));
  }
  return def;
}

}  // namespace kiln
