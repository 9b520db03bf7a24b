// kiln: the command-line tool. `kiln --help` lists the subcommands; `kiln CMD --help` explains one.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "codegen/jit.h"
#include "tools/command.h"

namespace kiln::cli {
namespace {

std::vector<Command> AllCommands() {
  return {DumpCommand(), InspectCommand(), DotCommand(), ConvertCommand(), RunCommand(), TrainCommand(), SummaryCommand(), BenchCommand()};
}

void PrintHelp(const std::vector<Command>& commands) {
  std::printf("kiln: a TensorFlow-1-style graph compiler and runtime\n\nusage: kiln COMMAND [ARGS...]\n\ncommands:\n");
  for (const Command& c : commands) std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\n`kiln COMMAND --help` describes a command's arguments and options.\n");
}

}  // namespace

bool Options::Parse(const std::vector<std::string>& args, std::string* error) {
  auto is = [](const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (is(flags_, name)) {
      if (has_value) { *error = "option --" + name + " takes no value"; return false; }
      values_[name] = "1";
    } else if (is(valued_, name) || is(repeated_, name)) {
      if (!has_value) {
        if (i + 1 >= args.size()) { *error = "option --" + name + " needs a value"; return false; }
        value = args[++i];
      }
      values_[name] = value;
      if (is(repeated_, name)) repeated_values_[name].push_back(value);
    } else {
      *error = "unknown option --" + name;
      return false;
    }
  }
  return true;
}

std::string Options::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> Options::GetAll(const std::string& name) const {
  auto it = repeated_values_.find(name);
  return it == repeated_values_.end() ? std::vector<std::string>{} : it->second;
}

// Where JIT-compiled kernels persist between runs, so a second `kiln train` starts warm:
// $KILN_CACHE_DIR (empty: no disk cache), else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln.
void ConfigureKernelCache() {
  std::string dir;
  if (const char* kiln = std::getenv("KILN_CACHE_DIR")) {
    dir = kiln;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    dir = std::string(xdg) + "/kiln";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = std::string(home) + "/.cache/kiln";
  }
  kiln::codegen::SetDefaultJitOptions({.cache_dir = dir});
}

int Fail(const std::string& command, const std::string& message, int code) {
  std::fprintf(stderr, "kiln %s: %s\n", command.c_str(), message.c_str());
  return code;
}

}  // namespace kiln::cli

int main(int argc, char** argv) {
  using namespace kiln::cli;
  std::vector<Command> commands = AllCommands();
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    PrintHelp(commands);
    return argc < 2 ? 2 : 0;
  }
  ConfigureKernelCache();
  std::string name = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command& c : commands) {
    if (c.name != name) continue;
    for (const std::string& a : args) {
      if (a == "--help" || a == "-h") {
        std::printf("%s\n", c.usage.c_str());
        return 0;
      }
    }
    return c.run(args);
  }
  std::fprintf(stderr, "kiln: unknown command '%s' (see kiln --help)\n", name.c_str());
  return 2;
}
