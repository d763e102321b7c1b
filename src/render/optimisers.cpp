#include "vqclip/render_loop.hpp"

namespace vqclip {

std::unique_ptr<torch::optim::Optimizer> make_optimiser(Optimiser kind, std::vector<torch::Tensor> parameters,
                                                       double lr) {
  namespace optim = torch::optim;
  switch (kind) {
    case Optimiser::kAdam:
      return std::make_unique<optim::Adam>(parameters, optim::AdamOptions(lr));
    case Optimiser::kAdamW:
      return std::make_unique<optim::AdamW>(parameters, optim::AdamWOptions(lr));
    case Optimiser::kAdagrad:
      return std::make_unique<optim::Adagrad>(parameters, optim::AdagradOptions(lr));
    case Optimiser::kRmsprop:
      return std::make_unique<optim::RMSprop>(parameters, optim::RMSpropOptions(lr));
    case Optimiser::kSgd:
      break;
  }
  return std::make_unique<optim::SGD>(parameters, optim::SGDOptions(lr).momentum(0.9));
}

}  // namespace vqclip
