#pragma once
// The subcommands of `tensorgrad`. Each is one entry of commands(): its options
// (which also give its --help text) and the function that runs it; adding a
// subcommand is adding an entry in commands.cpp.
#include <iosfwd>
#include <span>
#include <string>

#include "args.h"
#include "console.h"

namespace tg::cli {

struct Command {
  CommandSpec spec;
  // Runs the command with validated options; returns the exit status. Progress and
  // results go to the console; failures are raised (UsageError for a command line
  // that cannot be run, tg::Error or another std::exception otherwise).
  int (*run)(const ParsedArgs& args, const Console& console);
};

std::span<const Command> commands();

// `tensorgrad --help`: the commands and their one-line summaries.
std::string main_help_text();

// The whole command line, argv[1..]: dispatches to a command; prints help to the
// console (exit status 0), usage errors (exit status 2) and failures (exit status 1) to `err`.
int run_cli(std::span<const std::string> args, const Console& console, std::ostream& err);

}  // namespace tg::cli
