#include "vqclip/render_output.hpp"

#include "vqclip/errors.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip {

RenderOutput::RenderOutput(OutputParams params) : params_(std::move(params)) { validate(params_); }

void RenderOutput::check_writable() const { vqclip::check_writable(params_); }

bool RenderOutput::wants_preview(int step, int steps) const {
  const bool frame = !params_.frames_dir.empty() && step % params_.frames_every == 0;
  const bool refresh = params_.save_every > 0 && step % params_.save_every == 0 && step != steps;
  return frame || refresh;
}

void RenderOutput::write_preview(const Preview& preview) {
  if (!params_.frames_dir.empty() && preview.step % params_.frames_every == 0) {
    last_frame_ = params_.frames_dir / frame_file_name(preview.step);
    save_picture(last_frame_, preview.picture, nullptr, MetadataMode::kNone);
    last_frame_step_ = preview.step;
  }
  if (params_.save_every > 0 && preview.step % params_.save_every == 0 && preview.step != preview.steps) {
    save_picture(params_.path, preview.picture, preview.record, params_.metadata);
  }
}

bool RenderOutput::wants_state(int step, int steps) const {
  return !params_.state_path.empty() && step % params_.state_every == 0 && step != steps;
}

void RenderOutput::write_state(const RenderState& state) const {
  if (!params_.state_path.empty()) save_render_state(state, params_.state_path);
}

std::optional<std::filesystem::path> RenderOutput::frame_at(int step) const {
  if (step != last_frame_step_ || last_frame_.empty()) return std::nullopt;
  return last_frame_;
}

void RenderOutput::write_final(const RenderResult& result) const {
  save_picture(params_.path, result.picture, result.record, params_.metadata);
  if (!params_.svg_path.empty()) {
    if (result.svg.empty()) throw OutputError(params_.svg_path.string() + ": this render's drawer has no SVG form");
    save_svg(params_.svg_path, result.svg, result.record);
  }
}

}  // namespace vqclip
