#include "vqclip/errors.hpp"
#include "vqclip/generator.hpp"

namespace vqclip {

std::unique_ptr<torch::optim::Optimizer> make_optimiser(const std::string& name, std::vector<torch::Tensor> parameters,
                                                       double lr) {
  namespace optim = torch::optim;
  if (name == "adam") return std::make_unique<optim::Adam>(parameters, optim::AdamOptions(lr));
  if (name == "adamw") return std::make_unique<optim::AdamW>(parameters, optim::AdamWOptions(lr));
  if (name == "adagrad") return std::make_unique<optim::Adagrad>(parameters, optim::AdagradOptions(lr));
  if (name == "rmsprop") return std::make_unique<optim::RMSprop>(parameters, optim::RMSpropOptions(lr));
  if (name == "sgd") return std::make_unique<optim::SGD>(parameters, optim::SGDOptions(lr).momentum(0.9));
  throw UsageError("--optimiser " + name + ": expected adam, adamw, adagrad, rmsprop or sgd");
}

}  // namespace vqclip
