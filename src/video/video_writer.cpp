#include "video/video_writer.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <system_error>

#include "video/palette.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

struct ContainerChoice {
  const char* extension;
  const char* muxer;
  std::vector<const char*> encoders;  // best first
};

// Each container with the encoders tried for it, in order: the widely played
// codec first, then what Debian's libavcodec always has.
const std::vector<ContainerChoice>& containers() {
  static const std::vector<ContainerChoice> choices{
      {".mp4", "mp4", {"libx264", "libopenh264", "mpeg4"}},
      {".mkv", "matroska", {"libx264", "libvpx-vp9", "ffv1"}},
      {".webm", "webm", {"libvpx-vp9", "libvpx", "libaom-av1"}},
      {".webp", "webp", {"libwebp_anim", "libwebp"}},
      {".gif", "gif", {"gif"}},
  };
  return choices;
}

std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// The encoder's pixel format: yuv420p where it takes it (what players expect);
// for GIF, 8-bit indices into a palette of the frame's own (palette.hpp: far
// better than the encoder's fixed 3-3-2 colours); else the encoder's first.
AVPixelFormat pixel_format_for(const AVCodec* codec) {
  if (codec->id == AV_CODEC_ID_GIF) return AV_PIX_FMT_PAL8;
  if (!codec->pix_fmts) return AV_PIX_FMT_YUV420P;
  for (const AVPixelFormat* format = codec->pix_fmts; *format != AV_PIX_FMT_NONE; ++format) {
    if (*format == AV_PIX_FMT_YUV420P) return *format;
  }
  return codec->pix_fmts[0];
}

void set_quality(AVCodecContext* context, const std::string& encoder) {
  // Nearly lossless for the small, detailed pictures this makes; size is not the concern.
  if (encoder == "libx264") {
    av_opt_set(context->priv_data, "crf", "18", 0);
    av_opt_set(context->priv_data, "preset", "medium", 0);
  } else if (encoder == "libvpx-vp9" || encoder == "libvpx") {
    av_opt_set(context->priv_data, "crf", "24", 0);
    context->bit_rate = 0;
  } else if (encoder == "libwebp_anim" || encoder == "libwebp") {
    av_opt_set(context->priv_data, "quality", "90", 0);
    av_opt_set(context->priv_data, "loop", "0", 0);
  } else if (encoder != "gif") {
    context->bit_rate = 4'000'000;
  }
}

}  // namespace

struct VideoWriter::Impl {
  std::filesystem::path path;
  std::filesystem::path partial;
  VideoSettings settings;
  std::string encoder_name;
  std::string muxer_name;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;
  SwsContext* scaler = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  int64_t next_pts = 0;
  bool finished = false;

  [[noreturn]] void fail(const std::string& what, int code = 0) const {
    throw OutputError(path.string() + ": " + what + (code ? " (" + av_error_text(code) + ")" : ""));
  }

  // Sends `input` (nullptr: flush) and writes every packet the encoder gives back.
  void encode(const AVFrame* input) {
    int status = avcodec_send_frame(codec, input);
    if (status < 0) fail("the encoder refused a frame", status);
    while ((status = avcodec_receive_packet(codec, packet)) >= 0) {
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      status = av_interleaved_write_frame(format, packet);
      if (status < 0) fail("cannot write", status);
    }
    if (status != AVERROR(EAGAIN) && status != AVERROR_EOF) fail("the encoder failed", status);
  }

  // The frame as palette indices and the frame's own palette (GIF).
  void fill_indexed(const RgbImage& picture) {
    const auto indexed = quantise_to_palette(picture);
    for (int y = 0; y < picture.height; ++y) {
      std::copy_n(&indexed.indices[static_cast<size_t>(y) * picture.width], picture.width,
                  frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0]);
    }
    std::copy_n(indexed.palette.data(), indexed.palette.size(), reinterpret_cast<uint32_t*>(frame->data[1]));
  }

  // The frame converted from RGB, padded to the encoder's size by repeating
  // the picture's last column and row.
  void fill_converted(const RgbImage& picture) {
    const int width = codec->width;
    const int height = codec->height;
    std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
    for (int y = 0; y < height; ++y) {
      const int source_y = std::min(y, picture.height - 1);
      for (int x = 0; x < width; ++x) {
        const int source_x = std::min(x, picture.width - 1);
        std::copy_n(&picture.pixels[(static_cast<size_t>(source_y) * picture.width + source_x) * 3], 3,
                    &rgb[(static_cast<size_t>(y) * width + x) * 3]);
      }
    }
    const uint8_t* source[1] = {rgb.data()};
    const int source_stride[1] = {width * 3};
    sws_scale(scaler, source, source_stride, 0, height, frame->data, frame->linesize);
  }

  ~Impl() {
    if (format && !(format->oformat->flags & AVFMT_NOFILE)) avio_closep(&format->pb);
    avformat_free_context(format);
    avcodec_free_context(&codec);
    sws_freeContext(scaler);
    av_frame_free(&frame);
    av_packet_free(&packet);
    if (!finished && !partial.empty()) {
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
    }
  }
};

VideoWriter::VideoWriter(std::filesystem::path path, const VideoSettings& settings) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  av_log_set_level(AV_LOG_ERROR);  // the encoders' statistics are not the user's business
  m.path = std::move(path);
  m.settings = settings;
  const auto extension = m.path.extension().string();
  const auto choice = std::find_if(containers().begin(), containers().end(),
                                   [&](const ContainerChoice& c) { return extension == c.extension; });
  if (choice == containers().end()) {
    m.fail("unknown video type '" + extension + "': expected " + extensions_text());
  }
  const AVCodec* encoder = nullptr;
  for (const char* name : choice->encoders) {
    if ((encoder = avcodec_find_encoder_by_name(name))) break;
  }
  if (!encoder) m.fail("this machine's libavcodec has no encoder for " + extension);
  m.encoder_name = encoder->name;
  m.muxer_name = choice->muxer;

  m.partial = m.path;
  m.partial += ".partial";
  int status = avformat_alloc_output_context2(&m.format, nullptr, choice->muxer, m.partial.c_str());
  if (status < 0 || !m.format) m.fail("cannot set up the " + m.muxer_name + " container", status);
  m.stream = avformat_new_stream(m.format, nullptr);
  m.codec = avcodec_alloc_context3(encoder);
  m.frame = av_frame_alloc();
  m.packet = av_packet_alloc();
  if (!m.stream || !m.codec || !m.frame || !m.packet) m.fail("out of memory");

  // 4:2:0 subsampling needs even sides: an odd one gets its last row or column repeated.
  const AVPixelFormat pixel_format = pixel_format_for(encoder);
  const bool subsampled = pixel_format == AV_PIX_FMT_YUV420P || pixel_format == AV_PIX_FMT_YUVA420P;
  m.codec->width = subsampled ? (settings.width + 1) / 2 * 2 : settings.width;
  m.codec->height = subsampled ? (settings.height + 1) / 2 * 2 : settings.height;
  m.codec->pix_fmt = pixel_format;
  const AVRational rate = av_d2q(settings.fps, 100000);
  m.codec->time_base = av_inv_q(rate);
  m.codec->framerate = rate;
  m.codec->gop_size = 12;
  m.codec->thread_count = std::max(1, settings.threads);
  if (m.format->oformat->flags & AVFMT_GLOBALHEADER) m.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  set_quality(m.codec, m.encoder_name);
  if ((status = avcodec_open2(m.codec, encoder, nullptr)) < 0) m.fail("cannot open the " + m.encoder_name + " encoder", status);
  if ((status = avcodec_parameters_from_context(m.stream->codecpar, m.codec)) < 0) m.fail("codec parameters", status);
  m.stream->time_base = m.codec->time_base;
  m.stream->avg_frame_rate = rate;
  if (!settings.comment.empty()) av_dict_set(&m.format->metadata, "comment", settings.comment.c_str(), 0);

  m.frame->format = pixel_format;
  m.frame->width = m.codec->width;
  m.frame->height = m.codec->height;
  if ((status = av_frame_get_buffer(m.frame, 0)) < 0) m.fail("frame buffer", status);
  if (pixel_format != AV_PIX_FMT_PAL8) {  // palette frames are quantised by write(), not converted
    m.scaler =
        sws_getContext(m.codec->width, m.codec->height, AV_PIX_FMT_RGB24, m.codec->width, m.codec->height, pixel_format,
                       SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr);
    if (!m.scaler) m.fail("no conversion from RGB to " + std::string(av_get_pix_fmt_name(pixel_format)));
  }

  if (!(m.format->oformat->flags & AVFMT_NOFILE) &&
      (status = avio_open(&m.format->pb, m.partial.c_str(), AVIO_FLAG_WRITE)) < 0) {
    m.fail("cannot open " + m.partial.string() + " for writing", status);
  }
  if ((status = avformat_write_header(m.format, nullptr)) < 0) m.fail("cannot write the header", status);
}

VideoWriter::~VideoWriter() = default;

void VideoWriter::write(const RgbImage& picture) {
  auto& m = *impl_;
  if (picture.width != m.settings.width || picture.height != m.settings.height) {
    m.fail("a frame of " + std::to_string(picture.width) + "x" + std::to_string(picture.height) + " in a video of " +
           std::to_string(m.settings.width) + "x" + std::to_string(m.settings.height));
  }
  const int status = av_frame_make_writable(m.frame);
  if (status < 0) m.fail("frame buffer", status);
  if (m.codec->pix_fmt == AV_PIX_FMT_PAL8) {
    m.fill_indexed(picture);
  } else {
    m.fill_converted(picture);
  }
  m.frame->pts = m.next_pts++;
  m.encode(m.frame);
}

void VideoWriter::finish() {
  auto& m = *impl_;
  m.encode(nullptr);
  const int status = av_write_trailer(m.format);
  if (status < 0) m.fail("cannot write the trailer", status);
  if (!(m.format->oformat->flags & AVFMT_NOFILE)) avio_closep(&m.format->pb);
  std::error_code error;
  std::filesystem::rename(m.partial, m.path, error);
  if (error) m.fail("cannot rename " + m.partial.string() + " into place: " + error.message());
  m.finished = true;
}

std::string VideoWriter::description() const {
  const AVCodecDescriptor* descriptor = avcodec_descriptor_get(impl_->codec->codec_id);
  return impl_->encoder_name + (descriptor ? " (" + std::string(descriptor->name) + ")" : "") + " in " +
         impl_->muxer_name;
}

std::vector<std::string> VideoWriter::extensions() {
  std::vector<std::string> names;
  for (const auto& choice : containers()) names.push_back(choice.extension);
  return names;
}

std::string VideoWriter::extensions_text() {
  const auto names = extensions();
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  return text;
}

}  // namespace vqclip
