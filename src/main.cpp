// vqclip entry point: parse -> run -> map exceptions to exit codes.
#include <c10/util/Exception.h>

#include <cstdio>
#include <exception>
#include <string>

#include "cli/cli.hpp"
#include "vqclip/errors.hpp"

namespace {

int report(const std::string& message, vqclip::ExitCode code) {
  // One line: a multi-line message (e.g. from libtorch) is cut at its first line.
  const std::string first_line = message.substr(0, message.find('\n'));
  std::fprintf(stderr, "vqclip: error: %s\n", first_line.c_str());
  return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return vqclip::cli::run(argc, argv);
  } catch (const vqclip::Error& e) {
    return report(e.what(), e.code());
  } catch (const c10::Error& e) {
    return report(std::string("libtorch: ") + e.what_without_backtrace(), vqclip::ExitCode::kInternal);
  } catch (const std::exception& e) {
    return report(std::string("internal error: ") + e.what(), vqclip::ExitCode::kInternal);
  }
}
