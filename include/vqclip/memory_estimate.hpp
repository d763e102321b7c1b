#pragma once
// The memory a render needs, estimated before its first step and held against
// a budget (docs/architecture.md, "Memory estimate"). Measured on the CPU;
// on CUDA no estimate is made yet and an allocation failure says what to lower.
#include <cstdint>
#include <optional>
#include <string>

#include "vqclip/generation_params.hpp"
#include "vqclip/memory_costs.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render_loop.hpp"

namespace vqclip {

// Runs eight single steps of the loop at small sizes (latent grids of 4, 8 and
// 12 cells a side with one cutout, 4 cells with three; four in micro-batches)
// while counting every CPU tensor's bytes, and fits the costs to their peaks.
// About eight small steps of time; plan_memory() measures once per bundle and
// loop settings and keeps them in the Models and on disk.
MemoryCosts measure_memory_costs(Models& models, const LoopSettings& settings);

// Bytes this process may still take: the kernel's MemAvailable, lowered by the
// limit of the process's cgroup (a container, a Slurm job) and by what
// `ulimit -v` leaves of its address space, where it has those.
int64_t available_memory_bytes();

// "1.5 GiB", "640 MiB", "512 KiB", "100 bytes".
std::string format_bytes(double bytes);

// How a render's step fits in memory.
struct MemoryPlan {
  int64_t estimate_bytes = 0;  // one step's peak with `batch` views a CLIP batch
  int64_t budget_bytes = 0;
  int batch = 0;               // views per micro-batch; cutn: all at once
};

// Views per micro-batch for the render: resolved.cutouts.batch when set, else
// all cutn when they fit in the budget (`budget_bytes`, or what the machine
// has available when 0), else the most that fit. Throws ParameterError naming
// size (and cutn_batch when set), with the estimate and the budget, when that
// step would still need more. Nothing on CUDA.
// `second_pass`: `resolved` is a hires render's second pass, and a refusal names hires_scale.
std::optional<MemoryPlan> plan_memory(Models& models, const GenerationParams& resolved, int64_t budget_bytes,
                                      bool second_pass = false);

}  // namespace vqclip
