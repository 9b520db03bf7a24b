// The kiln CLI: one file per subcommand, each registering a Command in the table main() reads.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kiln::cli {

struct Command {
  std::string name;
  std::string summary;  // one line for `kiln --help`
  std::string usage;    // full text for `kiln CMD --help`
  std::function<int(const std::vector<std::string>& args)> run;  // exit code: 0 ok, 1 failure, 2 usage
};

// Defined in the subcommand files; main() lists them.
Command DumpCommand();
Command InspectCommand();
Command DotCommand();
Command ConvertCommand();
Command TrainCommand();
Command SummaryCommand();
Command RunCommand();
Command BenchCommand();

// Parses "--name value" / "--name=value" / "--flag" options. Unknown options are a usage error.
class Options {
 public:
  // `spec`: option names taking a value, boolean flags, and valued options that may repeat.
  Options(std::vector<std::string> valued, std::vector<std::string> flags, std::vector<std::string> repeated = {})
      : valued_(std::move(valued)), flags_(std::move(flags)), repeated_(std::move(repeated)) {}
  // Fills values/positionals; returns false with `error` set on a bad command line.
  bool Parse(const std::vector<std::string>& args, std::string* error);
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // Every value of a repeated option, in command-line order.
  std::vector<std::string> GetAll(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::vector<std::string> valued_, flags_, repeated_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> repeated_values_;
  std::vector<std::string> positional_;
};

// "kiln CMD: message" on stderr; returns `code`.
int Fail(const std::string& command, const std::string& message, int code = 1);

}  // namespace kiln::cli
