#pragma once
// Runs the real vqclip executable in a child process and captures its exit
// code, stdout and stderr, so tests see exactly what a user sees.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>
#include <sstream>
#include <string>
#include <vector>

#include "test_env.hpp"

extern char** environ;

namespace vqclip::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// `extra_env` entries are NAME=VALUE strings added to the environment.
inline CliResult run_cli(const std::vector<std::string>& args,
                         const std::vector<std::string>& extra_env = {}) {
  static int counter = 0;
  auto dir = scratch_dir("cli-run-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  auto out_path = dir / "stdout";
  auto err_path = dir / "stderr";

  std::vector<std::string> argv_storage{exe().string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);

  CliResult result;
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace vqclip::test

namespace vqclip::test {

// Starts vqclip without waiting; stdout/stderr go to files in `log_dir`.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::filesystem::path& log_dir) {
  std::vector<std::string> argv_storage{exe().string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto out_path = log_dir / "stdout";
  const auto err_path = log_dir / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Exit code of a spawned child (128 + signal if it was killed).
inline int wait_exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Starts vqclip with `args` and sends `signal` once `file` exists; returns the
// exit code (128 + signal if it was killed), or -1 if `file` did not appear
// within `timeout` (the child is then killed).
inline int run_until_file_then(int signal, const std::vector<std::string>& args, const std::filesystem::path& file,
                               const std::filesystem::path& log_dir,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const pid_t pid = spawn_cli(args, log_dir);
  if (pid <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!std::filesystem::exists(file) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const bool appeared = std::filesystem::exists(file);
  kill(pid, appeared ? signal : SIGKILL);
  const int code = wait_exit_code(pid);
  return appeared ? code : -1;
}

}  // namespace vqclip::test
