// `vqclip serve`: the models loaded once, jobs rendered one at a time from a
// bounded queue, over HTTP (docs/serve.md).
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/byte_size.hpp"
#include "cli/command.hpp"
#include "cli/interrupt.hpp"
#include "serve/http_api.hpp"
#include "serve/job_queue.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

// "HOST:PORT" (a bare "PORT" listens on loopback).
void parse_listen(const std::string& text, serve::ServeOptions& options) {
  const auto colon = text.rfind(':');
  const std::string port = colon == std::string::npos ? text : text.substr(colon + 1);
  if (colon != std::string::npos) options.host = text.substr(0, colon);
  if (!options.host.empty() && options.host.front() == '[' && options.host.back() == ']') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  try {
    size_t used = 0;
    options.port = std::stoi(port, &used);
    if (used != port.size()) throw std::invalid_argument(port);
  } catch (const std::logic_error&) {
    throw UsageError("--listen " + text + ": expected HOST:PORT, e.g. 127.0.0.1:8188");
  }
}

class ServeCommand : public Command {
 public:
  explicit ServeCommand(CLI::App& parent) {
    app = parent.add_subcommand("serve", "Serve renders over HTTP: an OpenAI-compatible images API and a jobs API");
    app->add_option("--listen", listen_, "HOST:PORT to listen on (port 0: any free one)")->capture_default_str();
    app->add_option("--out-dir", options_.out_dir, "Pictures, manifest.jsonl and the jobs' files")
        ->capture_default_str();
    app->add_option("--token", options_.token, "Bearer token every endpoint but /healthz needs")->type_name("SECRET");
    app->add_flag("--insecure-no-auth", options_.insecure_no_auth,
                  "Serve a non-loopback address without a token (anyone who reaches it may render)");
    app->add_option("--cors", options_.cors_origin, "Allow browser pages of this origin (Access-Control-Allow-Origin)")
        ->type_name("ORIGIN");
    app->add_option("--max-queue", options_.max_queue, "Jobs that may wait; more are answered 429")
        ->capture_default_str();
    app->add_option("--max-steps", options_.max_steps, "Most steps a job may ask for")->capture_default_str();
    app->add_option("--max-pixels", options_.max_pixels, "Most width x height a job may ask for")
        ->capture_default_str();
    app->add_option("--max-n", options_.max_n, "Most pictures of one OpenAI request")->capture_default_str();
    app->add_option("--max-body", max_body_, "Largest request body, e.g. 32M (pictures inside included)")
        ->capture_default_str();
    app->add_option("--preview-every", options_.preview_every, "A preview event every N steps; 0: none")
        ->capture_default_str();
  }

  int run(const CommonOptions& common) override {
    parse_listen(listen_, options_);
    const auto max_body = parse_byte_size(max_body_);
    if (!max_body || *max_body < 1024) throw UsageError("--max-body " + max_body_ + ": expected a size of 1K or more, e.g. 32M");
    options_.max_body_bytes = static_cast<size_t>(*max_body);
    serve::validate(options_);
    // Whatever a job may draw with: the VQGAN and its encoder where the bundle has them.
    const auto context = resolve(common.context);
    auto models = load_models(context, ModelParts::all_of(read_manifest(context.bundle_dir)));
    serve::JobQueue queue(models, options_);
    serve::HttpServer server(queue, models.manifest.name);
    const int port = server.bind(options_.host, options_.port);
    if (port < 0) {
      throw UsageError("--listen " + listen_ + ": cannot listen there (in use, or not an address of this machine)");
    }
    InterruptGuard interrupt_guard;
    std::printf("vqclip serve: listening on http://%s:%d (out dir %s)\n", options_.host.c_str(), port,
                options_.out_dir.c_str());
    std::fflush(stdout);
    // HTTP on its own threads; the jobs render on this one, which loaded the models.
    std::thread http([&server] { server.run(); });
    // Ctrl-C or SIGTERM: stop taking requests, let the running job save, go.
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      while (!done && !interrupt_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      // (done: work() ended by itself, only ever by an exception)
      server.stop();
      queue.shutdown();
    });
    try {
      queue.work();
    } catch (...) {
      done = true;
      watcher.join();
      http.join();
      throw;
    }
    spdlog::info("serve: stopped; a job that was running is saved and runs again at the next start");
    done = true;
    watcher.join();
    http.join();
    return 0;
  }

 private:
  std::string listen_ = "127.0.0.1:8188";
  std::string max_body_ = "32M";
  serve::ServeOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_serve_command(CLI::App& parent) { return std::make_unique<ServeCommand>(parent); }

}  // namespace vqclip::cli
