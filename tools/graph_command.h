#pragma once
// `tensorgrad graph`: the autograd graph of one training step, drawn with Graphviz.
#include "args.h"
#include "console.h"

namespace tg::cli {

CommandSpec graph_spec();
int run_graph(const ParsedArgs& args, const Console& console);

}  // namespace tg::cli
