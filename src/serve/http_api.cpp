#include "serve/http_api.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "io/base64.hpp"
#include "io/bounded_json.hpp"
#include "serve/job_request.hpp"
#include "serve/web_assets.hpp"

namespace vqclip::serve {
namespace {

const char* error_type(int status) {
  switch (status) {
    case 400:
    case 413:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 404:
      return "not_found_error";
    case 409:
      return "conflict_error";
    case 429:
      return "rate_limit_error";
    default:
      return "server_error";
  }
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", {{"message", message}, {"type", error_type(status)}, {"code", nullptr}}}});
}

nlohmann::json parse_body(const httplib::Request& req) {
  const auto body = parse_bounded_json_or_discarded(req.body);
  if (body.is_discarded()) throw RequestError(400, "the body is not JSON (or nests deeper than 64 levels)");
  return body;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Runs a handler, answering RequestError and QueueFull as the API says.
template <typename Handler>
httplib::Server::Handler guarded(Handler handler) {
  return [handler](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(req, res);
    } catch (const RequestError& e) {
      send_error(res, e.status, e.what());
    } catch (const QueueFull& e) {
      res.set_header("Retry-After", "10");
      send_error(res, 429, e.what());
    }
  };
}

void openai_generations(const httplib::Request& req, httplib::Response& res, JobQueue& queue) {
  const auto request = openai_images_request(parse_body(req), queue.options(), queue.manifest());
  std::vector<ServeJob> submitted;
  for (int i = 0; i < request.n; ++i) {
    auto params = request.first;
    params.seed = *request.first.seed + static_cast<uint64_t>(i);  // n pictures of n seeds, reproducible from the first
    submitted.push_back(queue.submit(std::move(params)));
  }
  nlohmann::json data = nlohmann::json::array();
  for (const auto& job : submitted) {
    const auto done = queue.wait_finished(job.id());
    if (!done || done->state != JobState::kDone) {
      throw RequestError(500, "job " + job.id() + " " + (done ? std::string(name_of(done->state)) : "vanished") +
                                  (done && !done->error.empty() ? ": " + done->error : ""));
    }
    if (request.b64_json) {
      data.push_back({{"b64_json", base64_encode(read_file(queue.options().out_dir / done->file))},
                      {"revised_prompt", nullptr}});
    } else {
      data.push_back({{"url", "http://" + req.get_header_value("Host") + "/api/jobs/" + done->id() + "/image"}});
    }
  }
  send_json(res, 200, {{"created", static_cast<int64_t>(submitted.front().created)}, {"data", data}});
}

// The job a route's (\d+) names; 404 when there is none.
ServeJob found_job(const std::optional<ServeJob>& job, const httplib::Request& req) {
  if (!job) throw RequestError(404, "no job " + std::string(req.matches[1]));
  return *job;
}

void stream_events(const httplib::Request& req, httplib::Response& res, JobQueue& queue) {
  const std::string id = found_job(queue.job(req.matches[1]), req).id();
  res.set_header("Cache-Control", "no-cache");
  auto position = std::make_shared<uint64_t>(0);
  auto quiet_seconds = std::make_shared<int>(0);
  res.set_chunked_content_provider("text/event-stream", [&queue, id, position, quiet_seconds](size_t,
                                                                                              httplib::DataSink& sink) {
    const auto events = queue.events_after(id, *position, std::chrono::seconds(1));
    if (!events || queue.stopping()) {
      sink.done();
      return true;
    }
    if (events->empty()) {
      if (++*quiet_seconds < 15) return true;
      *quiet_seconds = 0;
      const std::string ping = ": keep-alive\n\n";
      return sink.write(ping.data(), ping.size());
    }
    *quiet_seconds = 0;
    for (const auto& event : *events) {
      const auto text = "id: " + std::to_string(event.sequence) + "\nevent: " + event.type + "\ndata: " +
                        event.data.dump() + "\n\n";
      if (!sink.write(text.data(), text.size())) return false;
      *position = event.sequence;
      if (event.final()) {
        sink.done();
        return true;
      }
    }
    return true;
  });
}

// The page's file at `path` ("/" is the page itself); nullptr when none.
const WebAsset* web_asset(const std::string& path) {
  // Both sides views: a std::string on either would make the result a temporary string.
  const std::string_view wanted = path == "/" ? std::string_view("/index.html") : std::string_view(path);
  for (const auto& asset : web_assets()) {
    if (asset.path == wanted) return &asset;
  }
  return nullptr;
}

void serve_web_asset(const WebAsset& asset, httplib::Response& res) {
  res.set_content(asset.bytes.data(), asset.bytes.size(), std::string(asset.content_type).c_str());
  res.set_header("Cache-Control", "no-cache");  // a newer binary's page is seen at once
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'");
}

void install_routes(httplib::Server& server, JobQueue& queue, const std::string& model_name) {
  const auto& options = queue.options();
  server.set_payload_max_length(options.max_body_bytes);
  const int threads = options.http_threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };

  const std::string token = options.token;
  server.set_pre_routing_handler([token](const httplib::Request& req, httplib::Response& res) {
    // The page loads without the token: it holds nothing secret, and asks for the token.
    const bool page = req.method == "GET" && web_asset(req.path) != nullptr;
    if (token.empty() || req.path == "/healthz" || req.method == "OPTIONS" || page) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (req.get_header_value("Authorization") != "Bearer " + token) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "a Bearer token is needed (Authorization: Bearer ...)");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const std::string origin = options.cors_origin;
  if (!origin.empty()) {
    server.set_post_routing_handler([origin](const httplib::Request&, httplib::Response& res) {
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
      res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    });
    server.Options(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  }
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string message = res.status == 404   ? "no such endpoint"
                                : res.status == 413 ? "the body is larger than this server's --max-body"
                                                    : "the request failed";
    send_error(res, res.status, message);
  });
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
    std::string message = "internal error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    spdlog::error("{} {}: {}", req.method, req.path, message);
    send_error(res, 500, message);
  });

  for (const auto& asset : web_assets()) {
    const auto serve = [&asset](const httplib::Request&, httplib::Response& res) { serve_web_asset(asset, res); };
    std::string pattern;  // routes are regular expressions: the name's dots are literal
    for (const char c : asset.path) pattern += c == '.' ? std::string("\\.") : std::string(1, c);
    server.Get(pattern, serve);
    if (asset.path == "/index.html") server.Get("/", serve);
  }
  server.Get("/healthz", [&queue](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}, {"waiting", queue.waiting()}});
  });
  server.Get("/v1/models", [model_name](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"object", "list"},
                         {"data", {{{"id", model_name}, {"object", "model"}, {"created", 0}, {"owned_by", "vqclip"}}}}});
  });
  server.Post("/v1/images/generations", guarded([&queue](const httplib::Request& req, httplib::Response& res) {
                openai_generations(req, res, queue);
              }));
  server.Post("/api/jobs", guarded([&queue](const httplib::Request& req, httplib::Response& res) {
                const auto job =
                    queue.submit(params_from_request(parse_body(req), queue.options(), queue.manifest()));
                res.set_header("Location", "/api/jobs/" + job.id());
                send_json(res, 201, job.to_json());
              }));
  server.Get("/api/jobs", [&queue](const httplib::Request&, httplib::Response& res) {
    nlohmann::json jobs = nlohmann::json::array();
    for (const auto& job : queue.jobs()) jobs.push_back(job.to_json());
    send_json(res, 200, {{"jobs", jobs}, {"waiting", queue.waiting()}});
  });
  server.Get(R"(/api/jobs/(\d+))", guarded([&queue](const httplib::Request& req, httplib::Response& res) {
               send_json(res, 200, found_job(queue.job(req.matches[1]), req).to_json());
             }));
  server.Delete(R"(/api/jobs/(\d+))", guarded([&queue](const httplib::Request& req, httplib::Response& res) {
                  send_json(res, 200, found_job(queue.cancel(req.matches[1]), req).to_json());
                }));
  server.Get(R"(/api/jobs/(\d+)/events)", guarded([&queue](const httplib::Request& req, httplib::Response& res) {
               stream_events(req, res, queue);
             }));
  server.Get(R"(/api/jobs/(\d+)/image)", guarded([&queue](const httplib::Request& req, httplib::Response& res) {
               const auto job = found_job(queue.job(req.matches[1]), req);
               if (job.file.empty()) {
                 throw RequestError(409, "job " + job.id() + " is " + std::string(name_of(job.state)) +
                                             ": no picture yet");
               }
               res.set_content(read_file(queue.options().out_dir / job.file), "image/png");
             }));
}

}  // namespace

struct HttpServer::Impl {
  httplib::Server server;
};

HttpServer::HttpServer(JobQueue& queue, std::string model_name) : impl_(std::make_unique<Impl>()) {
  install_routes(impl_->server, queue, model_name);
}

HttpServer::~HttpServer() = default;

int HttpServer::bind(const std::string& host, int port) {
  if (port == 0) return impl_->server.bind_to_any_port(host);
  return impl_->server.bind_to_port(host, port) ? port : -1;
}

void HttpServer::run() { impl_->server.listen_after_bind(); }

void HttpServer::stop() { impl_->server.stop(); }

}  // namespace vqclip::serve
