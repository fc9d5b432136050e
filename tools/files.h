#pragma once
// Writing the command's output files.
#include <string>

namespace tg::cli {

// Writes `contents` to a temporary file beside `path` and renames it over `path`,
// so a reader (or an interrupted run) never sees a half-written file. Raises
// std::runtime_error naming the path on failure.
void write_text_file(const std::string& path, const std::string& contents);

}  // namespace tg::cli
