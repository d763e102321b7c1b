#include "cli/interrupt.hpp"

#include <unistd.h>

#include <csignal>

namespace vqclip::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

void on_signal(int signal) {
  if (g_signal != 0) {
    // Second signal: the user wants out now. Only async-signal-safe calls here.
    static const char kMessage[] = "\nvqclip: interrupted again, exiting without saving\n";
    [[maybe_unused]] auto ignored = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    _exit(130);
  }
  g_signal = signal;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool interrupt_requested() { return g_signal != 0; }
int interrupt_signal() { return static_cast<int>(g_signal); }
void clear_interrupt() { g_signal = 0; }

}  // namespace vqclip::cli
