#include "tools/embedding_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

// NPY format 1.0: magic, version, a little-endian header length, then a Python
// dict literal padded with spaces to a multiple of 64 bytes. A fixed 128-byte
// header holds any shape, so it can be rewritten with the final row count.
constexpr size_t kNpyHeaderBytes = 128;

std::string npy_header(size_t rows, int64_t dim) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(dim) + "), }";
  const size_t text_bytes = kNpyHeaderBytes - 10;
  dict.resize(text_bytes - 1, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(text_bytes & 0xff);
  header += static_cast<char>(text_bytes >> 8);
  return header + dict;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::filesystem::path embedding_sidecar_path(const std::filesystem::path& npy) {
  return std::filesystem::path(npy).replace_extension(".json");
}

EmbeddingFileWriter::EmbeddingFileWriter(std::filesystem::path path, EmbeddingFormat format, int64_t dim)
    : path_(std::move(path)), format_(format), dim_(dim) {
  to_stdout_ = path_ == "-";
  if (to_stdout_) {
    if (format_ != EmbeddingFormat::kJsonLines) throw UsageError("-o -: only JSON lines go to stdout");
    file_ = stdout;
    return;
  }
  check_writable(path_);
  temporary_ = path_.parent_path() / ("." + path_.filename().string() + ".partial-" + std::to_string(getpid()));
  file_ = std::fopen(temporary_.c_str(), "wb");
  if (!file_) throw OutputError(temporary_.string() + ": cannot write (" + errno_text() + ")");
  if (format_ == EmbeddingFormat::kNpy) {
    const auto header = npy_header(0, dim_);
    write(header.data(), header.size());
  }
}

EmbeddingFileWriter::~EmbeddingFileWriter() {
  if (to_stdout_ || finished_) return;
  if (file_) std::fclose(file_);
  std::error_code error;
  std::filesystem::remove(temporary_, error);
}

void EmbeddingFileWriter::write(const void* data, size_t bytes) {
  if (std::fwrite(data, 1, bytes, file_) != bytes) {
    throw OutputError((to_stdout_ ? std::string("stdout") : temporary_.string()) + ": write failed (" + errno_text() +
                      ")");
  }
}

void EmbeddingFileWriter::add(const std::vector<std::string>& inputs, const torch::Tensor& rows) {
  const auto values = rows.to(torch::kCPU, torch::kFloat).contiguous();
  TORCH_CHECK(values.dim() == 2 && values.size(0) == static_cast<int64_t>(inputs.size()) && values.size(1) == dim_,
              "EmbeddingFileWriter::add: rows ", values.sizes(), " for ", inputs.size(), " inputs of dim ", dim_);
  const float* data = values.data_ptr<float>();
  if (format_ == EmbeddingFormat::kNpy) {
    write(data, static_cast<size_t>(values.numel()) * sizeof(float));
  } else {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::vector<float> embedding(data + i * static_cast<size_t>(dim_), data + (i + 1) * static_cast<size_t>(dim_));
      const auto line = nlohmann::json{{"input", inputs[i]}, {"embedding", embedding}}.dump() + "\n";
      write(line.data(), line.size());
    }
  }
  inputs_.insert(inputs_.end(), inputs.begin(), inputs.end());
}

void EmbeddingFileWriter::finish(nlohmann::json about) {
  if (to_stdout_) {
    std::fflush(file_);
    return;
  }
  if (format_ == EmbeddingFormat::kNpy) {
    const auto header = npy_header(inputs_.size(), dim_);
    if (std::fseek(file_, 0, SEEK_SET) != 0) throw OutputError(temporary_.string() + ": seek failed");
    write(header.data(), header.size());
  }
  const bool flushed = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) throw OutputError(temporary_.string() + ": write failed (" + errno_text() + ")");
  if (format_ == EmbeddingFormat::kNpy) {
    about["rows"] = inputs_.size();
    about["dim"] = dim_;
    about["inputs"] = inputs_;
    // The sidecar first: a matrix in place always has its list of inputs.
    write_file_atomically(embedding_sidecar_path(path_), about.dump(2) + "\n");
  }
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) throw OutputError(path_.string() + ": cannot write (" + error.message() + ")");
  finished_ = true;
}

}  // namespace vqclip
