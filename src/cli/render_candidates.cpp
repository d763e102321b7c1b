// Best of N the command-line way: N renders of one prompt, seeds seed ..
// seed + N - 1, each judged by CLIP when it ends; the best K written, ranked
// (docs/architecture.md, "Best of N").
#include "cli/render_candidates.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "vqclip/candidates.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

struct Candidate {
  RenderResult result;
  double score = -std::numeric_limits<double>::infinity();  // a failed or stopped one ranks last
};

}  // namespace

RenderResult render_candidates(Models& models, const GenerationParams& params, RenderOutput& output,
                               const DisplayOptions& display, const RenderJob& job) {
  const auto& selection = output.params();
  ClipModel& judge = job.judge ? *job.judge : models.require_clip();
  const std::string judge_name = job.judge ? job.judge_name : models.manifest.name;
  check_judgeable(params);
  const uint64_t base_seed = params.seed.value_or(random_seed());

  std::vector<Candidate> candidates;
  bool stopped = false;
  for (int i = 0; i < selection.candidates && !stopped; ++i) {
    auto candidate_params = params;
    candidate_params.seed = base_seed + static_cast<uint64_t>(i);
    const std::string label = job.progress_label + " (candidate " + std::to_string(i + 1) + "/" +
                              std::to_string(selection.candidates) + ")";
    Progress progress(display, label, params.steps, job.job);
    RenderCallbacks callbacks;
    callbacks.on_step = [&](const StepInfo& info) {
      progress.step(info, std::nullopt);
      return !interrupt_requested();
    };
    Candidate candidate{render(models, candidate_params, callbacks)};
    stopped = candidate.result.status == RenderStatus::kStopped;
    if (candidate.result.status == RenderStatus::kCompleted) {
      candidate.score = prompt_similarity(judge, candidate.result.picture, candidate.result.params);
    }
    spdlog::info("candidate {}/{}: seed {}, {} {:.4f}", i + 1, selection.candidates, *candidate.result.params.seed,
                 job.judge ? "judged" : "similarity", candidate.score);
    progress.done(candidate.result, "");
    candidates.push_back(std::move(candidate));
  }

  // Best first; equal scores keep the seeds' order.
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return candidates[a].score > candidates[b].score; });
  const int kept = std::min<int>(selection.keep, static_cast<int>(candidates.size()));
  std::vector<int> rank_of(candidates.size());
  for (size_t position = 0; position < order.size(); ++position) rank_of[order[position]] = static_cast<int>(position) + 1;
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& candidate = candidates[i];
    const int rank = rank_of[i];
    list.push_back({{"seed", *candidate.result.params.seed},
                    {"score", std::isfinite(candidate.score) ? nlohmann::json(candidate.score) : nlohmann::json()},
                    {"status", name_of(candidate.result.status)},
                    {"rank", rank},
                    {"kept", rank <= kept}});
  }
  for (int rank = 1; rank <= kept; ++rank) {
    auto& result = candidates[order[static_cast<size_t>(rank - 1)]].result;
    if (!job.extra_record.is_null()) result.record.update(job.extra_record);
    result.record["candidates"] = list;
    result.record["candidate"] = {{"rank", rank}, {"of", selection.candidates}, {"judge", judge_name}};
    auto params_at_rank = selection;
    params_at_rank.path = ranked_path(selection.path, rank);
    RenderOutput(params_at_rank).write_final(result);
    spdlog::info("kept {} (seed {}, rank {} of {})", params_at_rank.path.string(), *result.params.seed, rank,
                 selection.candidates);
  }
  auto best = candidates[order.front()].result;
  if (!std::isfinite(candidates[order.front()].score) && best.status == RenderStatus::kNonFinite) {
    throw InternalError("the loss of every candidate became non-finite; the last finite picture of seed " +
                        std::to_string(*best.params.seed) + " was saved to " + selection.path.string());
  }
  if (stopped) best.status = RenderStatus::kStopped;
  return best;
}

}  // namespace vqclip::cli
