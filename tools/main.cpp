// The `tensorgrad` command: see commands.h, or run `tensorgrad --help`.
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return tg::cli::run_cli(args, tg::cli::stdout_console(), std::cerr);
}
