#pragma once

namespace vqclip::cli {

// Parses the command line and runs the chosen command. Returns the exit code
// for --help/--version and successful runs; throws vqclip::Error otherwise.
int run(int argc, char** argv);

}  // namespace vqclip::cli
