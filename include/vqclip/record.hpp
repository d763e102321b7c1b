#pragma once
// The record of a render, stored with its picture (picture_output.hpp):
// what made it (vqclip's version and commit, the bundle's name and file
// hashes, the resolved context and generation parameters) and how it went
// (steps done, final loss, seconds, status, CLIP similarity of the picture).
#include <string>

#include <nlohmann/json.hpp>

#include "vqclip/generation_params.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render.hpp"

namespace vqclip {

// Bumped when a field changes meaning. 2: grouped "context" and "generation"
// (the seed and size inside "generation").
inline constexpr int kRecordVersion = 2;

struct RunProgress {
  int steps_done = 0;
  double final_loss = 0;
  double seconds = 0;
  RenderStatus status = RenderStatus::kCompleted;
};

// {"record_version", "version", "commit", "bundle": {"name", "files"},
//  "context": {"device", "precision", "threads"}, "machine": {"cpu", "libtorch"}, "generation": {...},
//  "steps_done", "final_loss", "seconds", "status", "interrupted"
//  [, "non_finite_at_step"]}; render() adds "similarity", and with a second
//  pass "passes" (one entry each: size, steps, steps done, loss, seconds).
//  steps_done counts the steps of every pass.
nlohmann::json make_record(const Models& models, const GenerationParams& resolved, const RunProgress& progress);

// The CPU's model name from /proc/cpuinfo ("unknown" where there is none):
// with the thread count, what a bit-for-bit rerun depends on.
std::string cpu_model_name();

// True if a record describes a finished run: every step done (of both passes
// with a second pass), not stopped, no non-finite loss.
bool record_is_complete(const nlohmann::json& record);

// "prompt\nSteps: N, Seed: N, Size: WxH, Model: NAME, ..." (the "parameters"
// text chunk image tools read) from a record.
std::string parameters_text(const nlohmann::json& record);

}  // namespace vqclip
