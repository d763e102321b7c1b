#pragma once
// SIGINT/SIGTERM handling for long runs: the first signal asks the loop to
// finish its step and save; a second one exits at once with 130.

namespace vqclip::cli {

// Installs the handlers for its lifetime and restores the previous ones after.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// True once a signal arrived while a guard was installed.
bool interrupt_requested();
// The signal that asked (SIGINT or SIGTERM), 0 if none.
int interrupt_signal();
// Clears the request (for a batch continuing with the next job in tests).
void clear_interrupt();

}  // namespace vqclip::cli
