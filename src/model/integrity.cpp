// The bundle's integrity check: every file listed in vqclip.json "files" has
// the sha256 written there.
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {

void verify_bundle_files(const Manifest& manifest) {
  for (const auto& [name, expected] : manifest.file_hashes) {
    const auto path = manifest.dir / name;
    const auto found = sha256_file(path);
    if (found != expected) {
      throw BundleError(path.string() + ": sha256 mismatch (vqclip.json files." + name + " expects " +
                        expected.substr(0, 12) + "..., the file has " + found.substr(0, 12) +
                        "...): the file is corrupt or was replaced; --no-verify skips this check");
    }
  }
}

}  // namespace vqclip
