#pragma once
// Command-line options of the tensorgrad subcommands: each subcommand declares its
// options once (CommandSpec); parsing, validation and the --help text all come from
// that declaration, so they cannot disagree.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace tg::cli {

// A command line that cannot be run: main prints the message and exits with status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ValueKind { kText, kInteger, kNumber, kChoice };

struct OptionSpec {
  std::string name{};        // without the leading "--"
  std::string value_name{};  // "N", "DIR", ... in the help text
  std::string help{};
  ValueKind kind = ValueKind::kText;
  // kInteger: the smallest value accepted; kNumber: values must be > 0.
  int64_t min_integer = 0;
  std::vector<std::string> choices{};  // kChoice
  // Used when the option is absent; empty means "no value" (see required).
  std::string default_value{};
  // Shown as the default in --help instead of default_value, for defaults that
  // depend on other options ("0.1 with sgd, 0.001 with adam").
  std::string default_help{};
  bool required = false;
};

struct CommandSpec {
  std::string name;
  std::string summary;      // one line, for `tensorgrad --help`
  std::string description;  // the paragraph under the usage line of its --help
  std::vector<OptionSpec> options;
};

// The options of one command line, validated against their spec.
class ParsedArgs {
 public:
  bool help = false;

  bool has(const std::string& name) const { return values_.count(name) != 0; }
  const std::string& text(const std::string& name) const;
  int64_t integer(const std::string& name) const;
  double number(const std::string& name) const;
  std::optional<int64_t> optional_integer(const std::string& name) const;
  std::optional<double> optional_number(const std::string& name) const;

 private:
  friend ParsedArgs parse_args(const CommandSpec& spec, std::span<const std::string> args);
  std::map<std::string, std::string> values_;
};

// Parses `--name value` and `--name=value` options (a later one overrides an earlier
// one) and `--help`/`-h`. Unknown options, missing or malformed values, values out of
// range, unexpected positional arguments and absent required options raise UsageError.
// With --help, nothing else is validated.
ParsedArgs parse_args(const CommandSpec& spec, std::span<const std::string> args);

// `tensorgrad <command> --help`: usage line, summary and every option with its default.
std::string help_text(const CommandSpec& spec);

}  // namespace tg::cli
