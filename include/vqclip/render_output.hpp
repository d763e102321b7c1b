#pragma once
// The files a render leaves, written through render()'s callbacks: numbered
// frames, the picture refreshed every N steps, and the final picture with its
// record, each atomically. The command line, a batch job and any program
// that wants the usual files use it.
#include <filesystem>
#include <optional>

#include "vqclip/output_params.hpp"
#include "vqclip/render.hpp"

namespace vqclip {

class RenderOutput {
 public:
  // Throws ParameterError for invalid params.
  explicit RenderOutput(OutputParams params);

  // Throws OutputError naming the first file that could not be written.
  void check_writable() const;

  // For RenderCallbacks::wants_preview: a frame step, or a periodic save
  // before the last step.
  bool wants_preview(int step, int steps) const;
  // For RenderCallbacks::on_preview: writes the frame and/or refreshes the picture.
  void write_preview(const Preview& preview);

  // For RenderCallbacks::wants_state and on_state: every state_every steps to state_path.
  bool wants_state(int step, int steps) const;
  void write_state(const RenderState& state) const;

  // The final picture with its record. Throws OutputError.
  void write_final(const RenderResult& result) const;

  // The frame written after step `step`, if one was.
  std::optional<std::filesystem::path> frame_at(int step) const;
  const OutputParams& params() const { return params_; }

 private:
  OutputParams params_;
  int last_frame_step_ = 0;
  std::filesystem::path last_frame_;
};

}  // namespace vqclip
