#pragma once
// The server's HTTP endpoints (cpp-httplib, kept inside http_api.cpp so that
// its build definitions stay there): the OpenAI-compatible images API, the
// native jobs API with its event streams, and /healthz. Errors are JSON
// {"error": {"message", "type"}} as the OpenAI API answers them.
#include <memory>
#include <string>

#include "serve/job_queue.hpp"

namespace vqclip::serve {

class HttpServer {
 public:
  // `model_name` is what /v1/models lists.
  HttpServer(JobQueue& queue, std::string model_name);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0: any free one). Returns the port, or -1.
  int bind(const std::string& host, int port);
  // Serves until stop().
  void run();
  // From any thread: stops taking connections; run() returns.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vqclip::serve
