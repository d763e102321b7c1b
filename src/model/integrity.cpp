// The bundle's integrity check: files listed in vqclip.json "files" have the
// sha256 written there. Only the files a command loads are hashed, several at
// once (a full-size bundle's 900 MB take seconds on one core), and a file
// unchanged since an earlier check is not read again (remembered_hashes.hpp);
// the whole bundle's check (vqclip info) reads every file.
#include <algorithm>
#include <atomic>
#include <exception>
#include <set>
#include <thread>

#include "model/remembered_hashes.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/context_params.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::string normalised(const std::filesystem::path& name) { return name.lexically_normal().generic_string(); }

struct Check {
  std::string name;
  std::string expected;
  std::string found;
  std::exception_ptr failure;  // unreadable
};

using HashFunction = std::string (*)(const std::filesystem::path&);

// Hashes every file on up to one thread per core, then reports the first
// problem in the manifest's order, so the message does not depend on timing.
void run_checks(const Manifest& manifest, std::vector<Check>& checks, HashFunction hash) {
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i = next++; i < checks.size(); i = next++) {
      try {
        checks[i].found = hash(manifest.dir / checks[i].name);
      } catch (...) {
        checks[i].failure = std::current_exception();
      }
    }
  };
  const size_t workers = std::min(checks.size(), static_cast<size_t>(max_threads()));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) threads.emplace_back(work);
  work();
  for (auto& thread : threads) thread.join();

  for (const auto& check : checks) {
    if (check.failure) std::rethrow_exception(check.failure);
    if (check.found != check.expected) {
      throw BundleError((manifest.dir / check.name).string() + ": sha256 mismatch (vqclip.json files." + check.name +
                        " expects " + check.expected.substr(0, 12) + "..., the file has " + check.found.substr(0, 12) +
                        "...): the file is corrupt or was replaced; --no-verify skips this check");
    }
  }
}

}  // namespace

void verify_bundle_files(const Manifest& manifest, const std::vector<std::filesystem::path>& files) {
  std::set<std::string> wanted;
  for (const auto& file : files) wanted.insert(normalised(file.lexically_relative(manifest.dir)));
  std::vector<Check> checks;
  for (const auto& [name, expected] : manifest.file_hashes) {
    if (wanted.count(normalised(name))) checks.push_back({name, expected, "", nullptr});
  }
  run_checks(manifest, checks, sha256_file_remembered);
}

void verify_bundle_files(const Manifest& manifest) {
  std::vector<Check> checks;
  for (const auto& [name, expected] : manifest.file_hashes) checks.push_back({name, expected, "", nullptr});
  run_checks(manifest, checks, sha256_file);
}

}  // namespace vqclip
