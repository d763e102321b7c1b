#pragma once
// An encoded video written directly with FFmpeg's libraries (libavformat,
// libavcodec, libswscale): the container from the file's extension, the best
// encoder for it that this machine's libavcodec has, chosen at run time and
// reported. Written to a ".partial" file and renamed into place by finish(),
// so a reader never sees half a video.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "vqclip/image_io.hpp"

namespace vqclip {

struct VideoSettings {
  int width = 0;
  int height = 0;
  double fps = 12;
  int threads = 1;        // the encoder's threads
  std::string comment;    // stored as the container's "comment" tag
};

class VideoWriter {
 public:
  // Throws OutputError naming the file: an unknown extension, no encoder for
  // it, or a file that cannot be opened.
  VideoWriter(std::filesystem::path path, const VideoSettings& settings);
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // A frame of the settings' size. Throws OutputError.
  void write(const RgbImage& frame);
  // Flushes the encoder, writes the trailer and renames the file into place.
  void finish();

  // "libx264 (H.264) in mp4", for the log.
  std::string description() const;

  // The extensions VideoWriter takes, e.g. {".mp4", ".mkv", ".webm", ".webp", ".gif"}.
  static std::vector<std::string> extensions();
  // The same for messages: ".mp4, .mkv, .webm, .webp or .gif".
  static std::string extensions_text();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vqclip
