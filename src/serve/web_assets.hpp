#pragma once
// The web page's files (src/serve/web), built into the binary by
// cmake/embed_files.cmake so that the server reads nothing from disk to serve them.
#include <string_view>
#include <vector>

namespace vqclip::serve {

struct WebAsset {
  std::string_view path;          // "/index.html", "/app.js", ...
  std::string_view content_type;
  std::string_view bytes;
};

const std::vector<WebAsset>& web_assets();

}  // namespace vqclip::serve
