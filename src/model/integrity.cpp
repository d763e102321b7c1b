// The bundle's integrity check: files listed in vqclip.json "files" have the
// sha256 written there. Only the files a command loads are hashed (hashing a
// full-size bundle's 900 MB takes seconds).
#include <set>

#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::string normalised(const std::filesystem::path& name) { return name.lexically_normal().generic_string(); }

void verify_one(const Manifest& manifest, const std::string& name, const std::string& expected) {
  const auto path = manifest.dir / name;
  const auto found = sha256_file(path);
  if (found != expected) {
    throw BundleError(path.string() + ": sha256 mismatch (vqclip.json files." + name + " expects " +
                      expected.substr(0, 12) + "..., the file has " + found.substr(0, 12) +
                      "...): the file is corrupt or was replaced; --no-verify skips this check");
  }
}

}  // namespace

void verify_bundle_files(const Manifest& manifest, const std::vector<std::filesystem::path>& files) {
  std::set<std::string> wanted;
  for (const auto& file : files) wanted.insert(normalised(file.lexically_relative(manifest.dir)));
  for (const auto& [name, expected] : manifest.file_hashes) {
    if (wanted.count(normalised(name))) verify_one(manifest, name, expected);
  }
}

void verify_bundle_files(const Manifest& manifest) {
  for (const auto& [name, expected] : manifest.file_hashes) verify_one(manifest, name, expected);
}

}  // namespace vqclip
