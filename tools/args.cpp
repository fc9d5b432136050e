#include "args.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace tg::cli {

namespace {

const OptionSpec* find_option(const CommandSpec& spec, const std::string& name) {
  for (const OptionSpec& option : spec.options) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

std::optional<int64_t> to_integer(const std::string& text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> to_number(const std::string& text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

void validate(const OptionSpec& option, const std::string& value) {
  const std::string got = "--" + option.name + ": ";
  switch (option.kind) {
    case ValueKind::kText:
      if (value.empty()) throw UsageError(got + "expected a value, got an empty string");
      return;
    case ValueKind::kInteger: {
      auto n = to_integer(value);
      if (!n || *n < option.min_integer) {
        throw UsageError(got + "expected an integer >= " + std::to_string(option.min_integer) + ", got '" + value +
                         "'");
      }
      return;
    }
    case ValueKind::kNumber: {
      auto x = to_number(value);
      if (!x || *x <= 0) throw UsageError(got + "expected a positive number, got '" + value + "'");
      return;
    }
    case ValueKind::kChoice:
      for (const std::string& choice : option.choices) {
        if (choice == value) return;
      }
      throw UsageError(got + "expected one of " + join(option.choices, ", ") + ", got '" + value + "'");
  }
}

}  // namespace

const std::string& ParsedArgs::text(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("option --" + name + " has no value and no default");
  return it->second;
}

int64_t ParsedArgs::integer(const std::string& name) const { return *to_integer(text(name)); }

double ParsedArgs::number(const std::string& name) const { return *to_number(text(name)); }

std::optional<int64_t> ParsedArgs::optional_integer(const std::string& name) const {
  return has(name) ? std::optional<int64_t>(integer(name)) : std::nullopt;
}

std::optional<double> ParsedArgs::optional_number(const std::string& name) const {
  return has(name) ? std::optional<double>(number(name)) : std::nullopt;
}

ParsedArgs parse_args(const CommandSpec& spec, std::span<const std::string> args) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      return parsed;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) throw UsageError("unexpected argument '" + arg + "'");
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    const OptionSpec* option = find_option(spec, name);
    if (option == nullptr) throw UsageError("unknown option '--" + name + "'");
    if (equals != std::string::npos) {
      parsed.values_[name] = arg.substr(equals + 1);
    } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
      // A value that starts with "--" is given as --name=VALUE: `--out --model`
      // forgot --out's value rather than naming a directory "--model".
      parsed.values_[name] = args[++i];
    } else {
      throw UsageError("option '--" + name + "' needs a value (" + option->value_name + ")");
    }
  }
  for (const OptionSpec& option : spec.options) {
    auto it = parsed.values_.find(option.name);
    if (it != parsed.values_.end()) {
      validate(option, it->second);
    } else if (option.required) {
      throw UsageError("option '--" + option.name + "' is required");
    } else if (!option.default_value.empty()) {
      parsed.values_[option.name] = option.default_value;
    }
  }
  return parsed;
}

std::string help_text(const CommandSpec& spec) {
  std::ostringstream out;
  out << "usage: tensorgrad " << spec.name;
  for (const OptionSpec& option : spec.options) {
    if (option.required) out << " --" << option.name << " " << option.value_name;
  }
  out << " [options]\n\n" << spec.description << "\n\noptions:\n";
  std::vector<std::string> left;
  size_t width = std::string("-h, --help").size();
  for (const OptionSpec& option : spec.options) {
    left.push_back("--" + option.name + " " + option.value_name);
    width = std::max(width, left.back().size());
  }
  for (size_t i = 0; i < spec.options.size(); ++i) {
    const OptionSpec& option = spec.options[i];
    std::vector<std::string> notes;
    if (option.kind == ValueKind::kChoice) notes.push_back(join(option.choices, ", "));
    const std::string& shown = option.default_help.empty() ? option.default_value : option.default_help;
    if (option.required) {
      notes.push_back("required");
    } else if (!shown.empty()) {
      notes.push_back("default: " + shown);
    }
    out << "  " << left[i] << std::string(width - left[i].size() + 2, ' ') << option.help;
    if (!notes.empty()) out << " (" << join(notes, "; ") << ")";
    out << "\n";
  }
  out << "  -h, --help" << std::string(width - 10 + 2, ' ') << "show this help and exit\n";
  return out.str();
}

}  // namespace tg::cli
