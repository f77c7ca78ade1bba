#include "app/company/qr_scan.h"

#include <jpeglib.h>
#include <png.h>
#include <zbar.h>

#include <algorithm>
#include <condition_variable>
#include <csetjmp>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

#include "app/base/mutex.h"

namespace app {
namespace {

struct Gray {
  unsigned width = 0, height = 0;
  std::vector<unsigned char> pixels;
};

void CheckSize(uint64_t w, uint64_t h, const ScanLimits& limits) {
  if (w == 0 || h == 0 || w * h > limits.max_pixels)
    throw std::invalid_argument("the picture is empty or larger than 24 megapixels");
}

// Averages `factor` x `factor` blocks: a picture of at most limits.decode_pixels for zbar.
Gray Shrink(Gray g, const ScanLimits& limits) {
  uint64_t pixels = static_cast<uint64_t>(g.width) * g.height;
  unsigned f = 1;
  while (pixels / (static_cast<uint64_t>(f) * f) > limits.decode_pixels) ++f;
  if (f == 1) return g;
  Gray out;
  out.width = g.width / f;
  out.height = g.height / f;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height);
  for (unsigned y = 0; y < out.height; ++y)
    for (unsigned x = 0; x < out.width; ++x) {
      unsigned sum = 0;
      for (unsigned dy = 0; dy < f; ++dy) {
        const unsigned char* row = g.pixels.data() + static_cast<size_t>(y * f + dy) * g.width + x * f;
        for (unsigned dx = 0; dx < f; ++dx) sum += row[dx];
      }
      out.pixels[static_cast<size_t>(y) * out.width + x] = static_cast<unsigned char>(sum / (f * f));
    }
  return out;
}

Gray DecodePng(std::string_view bytes, const ScanLimits& limits) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    throw std::invalid_argument("the PNG picture could not be read");
  // Whatever leaves this function (a picture too large, a damaged one, bad_alloc) frees what
  // begin_read allocated; freeing after finish_read, which frees it too, does nothing.
  struct Free {
    png_image* image;
    ~Free() { png_image_free(image); }
  } free_image{&image};
  CheckSize(image.width, image.height, limits);
  image.format = PNG_FORMAT_GRAY;
  Gray g{image.width, image.height, std::vector<unsigned char>(PNG_IMAGE_SIZE(image))};
  if (!png_image_finish_read(&image, nullptr, g.pixels.data(), 0, nullptr))
    throw std::invalid_argument("the PNG picture is damaged");
  return g;
}

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};

void JpegExit(j_common_ptr cinfo) { std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1); }
void JpegQuiet(j_common_ptr) {}

// Only trivially destructible locals live between setjmp and longjmp (the vector is created
// before), so the jump skips no destructor.
bool DecodeJpegInto(std::string_view bytes, const ScanLimits& limits, Gray* g) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = JpegExit;
  err.mgr.output_message = JpegQuiet;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_GRAYSCALE;
  if (static_cast<uint64_t>(cinfo.image_width) * cinfo.image_height > limits.max_pixels || cinfo.image_width == 0) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  // libjpeg scales by 1/2, 1/4 or 1/8 as it decodes, far cheaper than decoding in full.
  cinfo.scale_num = 1;
  cinfo.scale_denom = 1;
  while (cinfo.scale_denom < 8 && static_cast<uint64_t>(cinfo.image_width / (cinfo.scale_denom * 2)) *
                                          (cinfo.image_height / (cinfo.scale_denom * 2)) >= limits.decode_pixels)
    cinfo.scale_denom *= 2;
  jpeg_start_decompress(&cinfo);
  g->width = cinfo.output_width;
  g->height = cinfo.output_height;
  g->pixels.resize(static_cast<size_t>(g->width) * g->height);
  while (cinfo.output_scanline < cinfo.output_height) {
    unsigned char* row = g->pixels.data() + static_cast<size_t>(cinfo.output_scanline) * g->width;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

Gray DecodeJpeg(std::string_view bytes, const ScanLimits& limits) {
  Gray g;
  g.pixels.reserve(0);
  if (!DecodeJpegInto(bytes, limits, &g)) throw std::invalid_argument("the JPEG picture could not be read, or is over 24 megapixels");
  return g;
}

}  // namespace

std::optional<std::string> ScanQr(std::string_view image, const ScanLimits& limits) {
  Gray g;
  if (image.size() >= 8 && image.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) g = DecodePng(image, limits);
  else if (image.size() >= 3 && image.substr(0, 3) == std::string_view("\xff\xd8\xff", 3)) g = DecodeJpeg(image, limits);
  else throw std::invalid_argument("the file is not a PNG or JPEG picture");
  g = Shrink(std::move(g), limits);
  std::unique_ptr<zbar::zbar_image_scanner_t, void (*)(zbar::zbar_image_scanner_t*)> scanner(
      zbar::zbar_image_scanner_create(), zbar::zbar_image_scanner_destroy);
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE, 1);
  std::unique_ptr<zbar::zbar_image_t, void (*)(zbar::zbar_image_t*)> img(zbar::zbar_image_create(),
                                                                          zbar::zbar_image_destroy);
  zbar::zbar_image_set_format(img.get(), zbar_fourcc('Y', '8', '0', '0'));
  zbar::zbar_image_set_size(img.get(), g.width, g.height);
  zbar::zbar_image_set_data(img.get(), g.pixels.data(), g.pixels.size(), nullptr);
  if (zbar::zbar_scan_image(scanner.get(), img.get()) <= 0) return std::nullopt;
  for (const zbar::zbar_symbol_t* s = zbar::zbar_image_first_symbol(img.get()); s; s = zbar::zbar_symbol_next(s))
    if (zbar::zbar_symbol_get_type(s) == zbar::ZBAR_QRCODE)
      return std::string(zbar::zbar_symbol_get_data(s), zbar::zbar_symbol_get_data_length(s));
  return std::nullopt;
}

struct QrDecoder::Impl {
  struct Job {
    std::string image;
    std::promise<Result> done;
  };
  static constexpr size_t kMaxQueued = 4;
  Mutex mu;  // taken alone
  CondVar cv;
  std::deque<std::shared_ptr<Job>> queue GUARDED_BY(mu);
  bool stop GUARDED_BY(mu) = false;
  std::thread worker;

  void Run() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        MutexLock lock(mu);
        while (!stop && queue.empty()) cv.Wait(mu);
        if (stop) return;
        job = queue.front();
        queue.pop_front();
      }
      Result r;
      try {
        r.text = ScanQr(job->image);
      } catch (const std::invalid_argument& e) {
        r.error = e.what();
      } catch (const std::exception&) {
        r.error = "the picture could not be read";
      }
      job->done.set_value(std::move(r));
    }
  }
};

QrDecoder::QrDecoder() : impl_(std::make_unique<Impl>()) {
  impl_->worker = std::thread([this] { impl_->Run(); });
}

QrDecoder::~QrDecoder() {
  {
    MutexLock lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv.SignalAll();
  impl_->worker.join();
}

QrDecoder::Result QrDecoder::Decode(std::string image, int wait_ms) {
  auto job = std::make_shared<Impl::Job>();
  job->image = std::move(image);
  std::future<Result> done = job->done.get_future();
  {
    MutexLock lock(impl_->mu);
    if (impl_->queue.size() >= Impl::kMaxQueued) return Result{Outcome::kBusy, std::nullopt, ""};
    impl_->queue.push_back(job);
  }
  impl_->cv.Signal();
  if (done.wait_for(std::chrono::milliseconds(wait_ms)) != std::future_status::ready) {
    // Still queued: take it back, nobody waits for it. Already running: it finishes alone.
    MutexLock lock(impl_->mu);
    auto it = std::find(impl_->queue.begin(), impl_->queue.end(), job);
    if (it != impl_->queue.end()) impl_->queue.erase(it);
    return Result{Outcome::kTimedOut, std::nullopt, ""};
  }
  return done.get();
}

}  // namespace app
