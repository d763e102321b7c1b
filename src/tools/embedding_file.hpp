#pragma once
// Embeddings written for other programs: a float32 .npy matrix with a JSON
// sidecar naming each row's input, or JSON lines. Rows are streamed to a
// temporary file beside the output and renamed into place at the end, so a
// killed run leaves no half file and memory does not grow with the inputs.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vqclip {

enum class EmbeddingFormat { kNpy, kJsonLines };

// out.npy -> out.json: where the inputs of an .npy file's rows are listed.
std::filesystem::path embedding_sidecar_path(const std::filesystem::path& npy);

class EmbeddingFileWriter {
 public:
  // `path` "-" is stdout, for JSON lines only. Throws OutputError naming the path.
  EmbeddingFileWriter(std::filesystem::path path, EmbeddingFormat format, int64_t dim);
  ~EmbeddingFileWriter();  // an unfinished output's temporary file is removed
  EmbeddingFileWriter(const EmbeddingFileWriter&) = delete;
  EmbeddingFileWriter& operator=(const EmbeddingFileWriter&) = delete;

  // Rows [inputs, dim] of float32, one per input, in order.
  void add(const std::vector<std::string>& inputs, const torch::Tensor& rows);
  // Completes the file and moves it into place; for .npy, writes the sidecar:
  // `about` with "inputs" (in row order), "dim" and "rows" added.
  void finish(nlohmann::json about);
  size_t rows() const { return inputs_.size(); }

 private:
  void write(const void* data, size_t bytes);

  std::filesystem::path path_;
  std::filesystem::path temporary_;
  EmbeddingFormat format_;
  int64_t dim_;
  std::FILE* file_ = nullptr;
  bool to_stdout_ = false;
  bool finished_ = false;
  std::vector<std::string> inputs_;
};

}  // namespace vqclip
