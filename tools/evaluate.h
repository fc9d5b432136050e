#pragma once
// `tensorgrad evaluate`: the test accuracy of saved weights and the confusion matrix.
#include "args.h"
#include "console.h"

namespace tg::cli {

CommandSpec evaluate_spec();
int run_evaluate(const ParsedArgs& args, const Console& console);

}  // namespace tg::cli
