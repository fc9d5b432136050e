#include "console.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <iostream>

namespace tg::cli {

Console stdout_console() {
  Console console{std::cout};
  console.interactive = isatty(STDOUT_FILENO) != 0;
  winsize size{};
  if (console.interactive && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) console.width = size.ws_col;
  return console;
}

}  // namespace tg::cli
