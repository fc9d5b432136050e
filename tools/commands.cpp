#include "commands.h"

#include <algorithm>
#include <exception>
#include <ostream>
#include <sstream>
#include <vector>

#include "evaluate.h"
#include "graph_command.h"
#include "train.h"

namespace tg::cli {

std::span<const Command> commands() {
  static const std::vector<Command> table = {
      {train_spec(), run_train},
      {evaluate_spec(), run_evaluate},
      {graph_spec(), run_graph},
  };
  return table;
}

std::string main_help_text() {
  std::ostringstream out;
  out << "usage: tensorgrad <command> [options]\n\n"
      << "Trains and evaluates models on Fashion-MNIST with tensorgrad.\n\ncommands:\n";
  size_t width = 0;
  for (const Command& command : commands()) width = std::max(width, command.spec.name.size());
  for (const Command& command : commands()) {
    out << "  " << command.spec.name << std::string(width - command.spec.name.size() + 2, ' ')
        << command.spec.summary << "\n";
  }
  out << "\nRun 'tensorgrad <command> --help' for a command's options.\n";
  return out.str();
}

int run_cli(std::span<const std::string> args, const Console& console, std::ostream& err) {
  if (args.empty()) {
    err << main_help_text();
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h") {
    console.out << main_help_text();
    return 0;
  }
  const auto all = commands();
  const auto command = std::find_if(all.begin(), all.end(), [&](const Command& c) { return c.spec.name == args[0]; });
  if (command == all.end()) {
    err << "tensorgrad: unknown command '" << args[0] << "'\nRun 'tensorgrad --help' for the commands.\n";
    return 2;
  }
  const std::string& name = command->spec.name;
  try {
    const ParsedArgs parsed = parse_args(command->spec, args.subspan(1));
    if (parsed.help) {
      console.out << help_text(command->spec);
      return 0;
    }
    return command->run(parsed, console);
  } catch (const UsageError& e) {
    err << "tensorgrad " << name << ": " << e.what() << "\nRun 'tensorgrad " << name << " --help' for its options.\n";
    return 2;
  } catch (const std::exception& e) {
    console.out << std::flush;
    err << "tensorgrad " << name << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tg::cli
