#include "model/graph_rewrites.hpp"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/subgraph_rewrite.h>

namespace vqclip {
namespace {

int count_kind(const torch::jit::Graph& graph, c10::Symbol kind) {
  int count = 0;
  for (const auto* node : graph.nodes()) {
    if (node->kind() == kind) ++count;
    for (const auto* block : node->blocks()) {
      for (const auto* inner : block->nodes()) count += inner->kind() == kind ? 1 : 0;
    }
  }
  return count;
}

}  // namespace

int fuse_swish(torch::jit::Module& module) {
  torch::jit::SubgraphRewriter rewriter;
  const std::string fused = R"(
    graph(%x):
      %y = aten::silu(%x)
      return (%y))";
  rewriter.RegisterRewritePattern(R"(
    graph(%x):
      %s = aten::sigmoid(%x)
      %y = aten::mul(%x, %s)
      return (%y))",
                                  fused);
  rewriter.RegisterRewritePattern(R"(
    graph(%x):
      %s = aten::sigmoid(%x)
      %y = aten::mul(%s, %x)
      return (%y))",
                                  fused);
  // QuickGELU, x * sigmoid(1.702 x), as silu(1.702 x) / 1.702: the same
  // passes forward, three instead of five backward.
  const std::string scaled_fused = R"(
    graph(%x, %c):
      %t = aten::mul(%x, %c)
      %u = aten::silu(%t)
      %y = aten::div(%u, %c)
      return (%y))";
  rewriter.RegisterRewritePattern(R"(
    graph(%x, %c):
      %t = aten::mul(%x, %c)
      %s = aten::sigmoid(%t)
      %y = aten::mul(%x, %s)
      return (%y))",
                                  scaled_fused);
  rewriter.RegisterRewritePattern(R"(
    graph(%x, %c):
      %t = aten::mul(%x, %c)
      %s = aten::sigmoid(%t)
      %y = aten::mul(%s, %x)
      return (%y))",
                                  scaled_fused);
  int rewrites = 0;

  // Every function of the module's compilation unit: its methods, its
  // submodules' and the free functions they call (the VQGAN's swish).
  for (auto* function : module._ivalue()->compilation_unit()->get_functions()) {
    auto* graph_function = dynamic_cast<torch::jit::GraphFunction*>(function);
    if (graph_function == nullptr) continue;
    auto graph = graph_function->graph();
    const int before = count_kind(*graph, c10::Symbol::fromQualString("aten::silu"));
    rewriter.runOnGraph(graph);
    rewrites += count_kind(*graph, c10::Symbol::fromQualString("aten::silu")) - before;
  }
  return rewrites;
}

}  // namespace vqclip
