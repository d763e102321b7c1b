#include "model/graph_rewrites.hpp"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/subgraph_rewrite.h>

namespace vqclip {
namespace {

// Nodes of this kind in the block and the blocks inside it (ifs, loops).
int count_kind(const torch::jit::Block& block, c10::Symbol kind) {
  int count = 0;
  for (const auto* node : block.nodes()) {
    if (node->kind() == kind) ++count;
    for (const auto* inner : node->blocks()) count += count_kind(*inner, kind);
  }
  return count;
}

// Rewrites `inputs -> lines, then %y = %x * %s` (the product in either order) to `replacement`.
void register_product_of_x_and_s(torch::jit::SubgraphRewriter& rewriter, const std::string& inputs,
                                 const std::string& lines, const std::string& replacement) {
  for (const char* product : {"aten::mul(%x, %s)", "aten::mul(%s, %x)"}) {
    rewriter.RegisterRewritePattern("graph(" + inputs + "):\n" + lines + "  %y = " + product + "\n  return (%y)",
                                    replacement);
  }
}

// Runs the rewriter on every function of the module's compilation unit (its
// methods, its submodules' and the free functions they call, such as the
// VQGAN's swish); returns how many more nodes of kind `made` there are.
int rewrite_every_function(torch::jit::Module& module, torch::jit::SubgraphRewriter& rewriter, c10::Symbol made) {
  int rewrites = 0;
  for (auto* function : module._ivalue()->compilation_unit()->get_functions()) {
    auto* graph_function = dynamic_cast<torch::jit::GraphFunction*>(function);
    if (graph_function == nullptr) continue;
    auto graph = graph_function->graph();
    const int before = count_kind(*graph->block(), made);
    rewriter.runOnGraph(graph);
    rewrites += count_kind(*graph->block(), made) - before;
  }
  return rewrites;
}

}  // namespace

int fuse_swish(torch::jit::Module& module) {
  torch::jit::SubgraphRewriter rewriter;
  register_product_of_x_and_s(rewriter, "%x", "  %s = aten::sigmoid(%x)\n", R"(
    graph(%x):
      %y = aten::silu(%x)
      return (%y))");
  // QuickGELU, x * sigmoid(1.702 x), as silu(1.702 x) / 1.702: the same
  // passes forward, three instead of five backward.
  register_product_of_x_and_s(rewriter, "%x, %c", "  %t = aten::mul(%x, %c)\n  %s = aten::sigmoid(%t)\n", R"(
    graph(%x, %c):
      %t = aten::mul(%x, %c)
      %u = aten::silu(%t)
      %y = aten::div(%u, %c)
      return (%y))");
  return rewrite_every_function(module, rewriter, c10::Symbol::fromQualString("aten::silu"));
}

int batch_matrix_products(torch::jit::Module& module) {
  torch::jit::SubgraphRewriter rewriter;
  rewriter.RegisterRewritePattern(R"(
    graph(%a, %b):
      %y = aten::matmul(%a, %b)
      return (%y))",
                                  R"(
    graph(%a, %b):
      %y = vqclip::batched_matmul(%a, %b)
      return (%y))");
  return rewrite_every_function(module, rewriter, c10::Symbol::fromQualString("vqclip::batched_matmul"));
}

}  // namespace vqclip
