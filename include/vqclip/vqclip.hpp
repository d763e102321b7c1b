#pragma once
// vqclip's C++ API in one include. The parts, one header each:
//   context_params.hpp, generation_params.hpp, output_params.hpp  the parameter groups
//   bundle.hpp, models.hpp       a bundle on disk; its models, loaded by need
//   render.hpp                   render(models, params, callbacks) -> picture and record
//   render_output.hpp            the usual files of a render, through its callbacks
//   record.hpp, picture_output.hpp  the run record; PNGs with metadata
//   clip_tools.hpp               score, classify, search
//   render_loop.hpp, render_ops.hpp, targets.hpp  the loop and its pieces
//   errors.hpp                   the exceptions and exit codes
// docs/architecture.md describes how they fit together.
#include "vqclip/bundle.hpp"
#include "vqclip/bundle_info.hpp"
#include "vqclip/candidates.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/context_params.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/limits.hpp"
#include "vqclip/models.hpp"
#include "vqclip/output_params.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/prompt.hpp"
#include "vqclip/record.hpp"
#include "vqclip/render.hpp"
#include "vqclip/render_output.hpp"
#include "vqclip/render_state.hpp"
#include "vqclip/runtime.hpp"
#include "vqclip/tokenizer.hpp"
#include "vqclip/version.hpp"
