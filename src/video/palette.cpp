#include "video/palette.hpp"

#include <algorithm>
#include <limits>

namespace vqclip {
namespace {

constexpr int kBins = 32 * 32 * 32;

int bin_of(const uint8_t* rgb) { return (rgb[0] >> 3) << 10 | (rgb[1] >> 3) << 5 | (rgb[2] >> 3); }

struct BinStats {
  int64_t count = 0;
  int64_t sum[3] = {0, 0, 0};  // of the exact 8-bit values, for the box means
};

// A box of histogram bins, split at the median of its widest channel.
struct Box {
  std::vector<int> bins;
  int64_t count = 0;
  int widest_channel = 0;
  int width = 0;  // the widest channel's extent in 5-bit steps
};

int channel_of(int bin, int channel) { return (bin >> (10 - 5 * channel)) & 31; }

Box make_box(std::vector<int> bins, const std::vector<BinStats>& stats) {
  Box box;
  box.bins = std::move(bins);
  int low[3] = {31, 31, 31}, high[3] = {0, 0, 0};
  for (int bin : box.bins) {
    box.count += stats[bin].count;
    for (int c = 0; c < 3; ++c) {
      low[c] = std::min(low[c], channel_of(bin, c));
      high[c] = std::max(high[c], channel_of(bin, c));
    }
  }
  for (int c = 0; c < 3; ++c) {
    if (high[c] - low[c] > box.width) {
      box.width = high[c] - low[c];
      box.widest_channel = c;
    }
  }
  return box;
}

}  // namespace

IndexedPicture quantise_to_palette(const RgbImage& picture) {
  std::vector<BinStats> stats(kBins);
  const size_t pixels = static_cast<size_t>(picture.width) * picture.height;
  for (size_t i = 0; i < pixels; ++i) {
    const uint8_t* rgb = &picture.pixels[i * 3];
    auto& bin = stats[bin_of(rgb)];
    ++bin.count;
    for (int c = 0; c < 3; ++c) bin.sum[c] += rgb[c];
  }
  std::vector<int> used;
  for (int bin = 0; bin < kBins; ++bin) {
    if (stats[bin].count > 0) used.push_back(bin);
  }

  // Split the box that holds the most pixels among those that still can be
  // split, until there are 256 or none can be.
  std::vector<Box> boxes;
  if (!used.empty()) boxes.push_back(make_box(std::move(used), stats));
  while (boxes.size() < 256) {
    Box* chosen = nullptr;
    for (auto& box : boxes) {
      // Distinct bins differ in some channel, so a box of two or more can be split.
      if (box.bins.size() > 1 && (!chosen || box.count > chosen->count)) chosen = &box;
    }
    if (!chosen) break;
    const int channel = chosen->widest_channel;
    auto bins = std::move(chosen->bins);
    std::sort(bins.begin(), bins.end(),
              [channel](int a, int b) { return channel_of(a, channel) < channel_of(b, channel); });
    // The median pixel's place, kept off both ends so that each half holds a bin.
    int64_t seen = 0;
    size_t cut = 1;
    for (; cut < bins.size() - 1; ++cut) {
      seen += stats[bins[cut - 1]].count;
      if (seen * 2 >= chosen->count) break;
    }
    std::vector<int> upper(bins.begin() + static_cast<std::ptrdiff_t>(cut), bins.end());
    bins.resize(cut);
    *chosen = make_box(std::move(bins), stats);
    boxes.push_back(make_box(std::move(upper), stats));
  }

  IndexedPicture indexed;
  indexed.colours = static_cast<int>(boxes.size());
  std::vector<std::array<int, 3>> colours;
  for (const auto& box : boxes) {
    int64_t sum[3] = {0, 0, 0};
    for (int bin : box.bins) {
      for (int c = 0; c < 3; ++c) sum[c] += stats[bin].sum[c];
    }
    std::array<int, 3> mean{};
    for (int c = 0; c < 3; ++c) mean[c] = static_cast<int>((sum[c] + box.count / 2) / box.count);
    colours.push_back(mean);
    indexed.palette[colours.size() - 1] =
        0xFF000000u | static_cast<uint32_t>(mean[0]) << 16 | static_cast<uint32_t>(mean[1]) << 8 |
        static_cast<uint32_t>(mean[2]);
  }
  for (size_t i = boxes.size(); i < indexed.palette.size(); ++i) indexed.palette[i] = 0xFF000000u;

  // Each used bin's nearest palette colour, judged from the bin's mean colour.
  std::vector<uint8_t> nearest(kBins, 0);
  for (int bin = 0; bin < kBins; ++bin) {
    const auto& s = stats[bin];
    if (s.count == 0) continue;
    int best = 0;
    int64_t best_distance = std::numeric_limits<int64_t>::max();
    for (size_t p = 0; p < colours.size(); ++p) {
      int64_t distance = 0;
      for (int c = 0; c < 3; ++c) {
        const int64_t d = (s.sum[c] + s.count / 2) / s.count - colours[p][c];
        distance += d * d;
      }
      if (distance < best_distance) {
        best_distance = distance;
        best = static_cast<int>(p);
      }
    }
    nearest[bin] = static_cast<uint8_t>(best);
  }
  indexed.indices.resize(pixels);
  for (size_t i = 0; i < pixels; ++i) indexed.indices[i] = nearest[bin_of(&picture.pixels[i * 3])];
  return indexed;
}

}  // namespace vqclip
