// Fuzzes prompt files with their per-line options: every job validated, or a
// vqclip error (never another exception, never a crash).
#include <string>

#include "batch/batch.hpp"
#include "fuzz_support.hpp"
#include "vqclip/errors.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto jobs = vqclip::parse_prompt_file(text, "fuzz.txt", vqclip::GenerationParams{}, vqclip::OutputParams{});
    require(!jobs.empty());
    for (const auto& job : jobs) {
      require(job.line >= 1 && job.generation.prompts.size() == 1);
      vqclip::validate(job.generation);  // what was accepted validates
      const auto name = vqclip::job_file_name("{index:04}-{slug}.png", job, 1);
      require(!name.empty() && name.size() <= 255 && name.find('/') == std::string::npos);
    }
  } catch (const vqclip::Error&) {
  }
  return 0;
}
