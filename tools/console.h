#pragma once
// Where a command writes its progress and results, and whether that is a terminal
// (which gets a progress bar redrawn in place instead of plain lines).
#include <iosfwd>

namespace tg::cli {

struct Console {
  std::ostream& out;
  bool interactive = false;
  int width = 0;  // columns of the terminal, 0 when unknown
};

// std::cout, interactive when standard output is a terminal.
Console stdout_console();

}  // namespace tg::cli
