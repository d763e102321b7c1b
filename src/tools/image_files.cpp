#include "tools/image_files.hpp"

#include <algorithm>

#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {

const std::set<std::string>& image_file_extensions() {
  static const std::set<std::string> extensions{".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"};
  return extensions;
}

bool has_image_extension(const std::filesystem::path& path) {
  auto extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  return image_file_extensions().count(extension) > 0;
}

void for_each_entry(const std::filesystem::path& dir, bool recursive,
                    const std::function<void(const std::filesystem::directory_entry&)>& visit) {
  std::error_code error;
  if (recursive) {
    const auto options = std::filesystem::directory_options::skip_permission_denied;
    for (std::filesystem::recursive_directory_iterator it(dir, options, error), end; !error && it != end;
         it.increment(error)) {
      visit(*it);
    }
  } else {
    for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) visit(*it);
  }
  if (error) throw InputError(dir.string() + ": cannot list (" + error.message() + ")");
}

}  // namespace vqclip
