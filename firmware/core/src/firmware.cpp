// Firmware updates: compare /iot/firmware-version with the running version, download the image
// into the inactive slot in Range requests of download_chunk bytes (one per step), hashing as it
// goes, and boot it only when size and SHA-256 match the metadata. A dropped connection resumes at
// the last byte written (If-Range = the image's ETag, so a changed image answers 200 from byte 0).

#include "encoding.hpp"
#include "iot_device/device.hpp"
#include "json.hpp"
#include "sinks.hpp"
#include "text.hpp"

namespace iot_device {
namespace {

constexpr std::string_view kState = "state";

bool is_hex(std::string_view s) {
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace

/// Writes one response's body into the slot at the download's offset, up to a chunk's bytes.
/// Adapters normally fill the status before the body arrives; when they do, a 200 answering a
/// Range request restarts the image from byte 0 on the spot, and an error body is discarded.
class FirmwareSink final : public BodySink {
 public:
  FirmwareSink(Device& device, const HttpResponse& response, std::uint32_t limit)
      : d_(device), response_(response), start_(device.download_.offset), limit_(limit) {}

  bool write(const std::uint8_t* data, std::size_t n) override {
    if (!checked_ && response_.status != 0) {
      checked_ = true;
      if (response_.status == 200 && start_ > 0) {
        // The whole image after all (If-Range did not match): take all of it in this response,
        // or a server that never honours the range would send the first chunk forever.
        d_.download_.offset = 0;
        d_.ports_.sha256.begin();
        restarted_ = true;
        limit_ = d_.download_.size;
      } else if (response_.status == 206 && response_.range_first != start_) {
        misplaced_ = true;
        return stop();
      } else if (response_.status != 200 && response_.status != 206) {
        discard_ = true;
      }
    }
    if (discard_) return true;
    auto& download = d_.download_;
    while (n > 0) {
      if (download.offset >= download.size) {
        oversized_ = true;
        return stop();
      }
      std::size_t take = n;
      if (take > limit_ - taken_) take = limit_ - taken_;
      if (take > download.size - download.offset) take = download.size - download.offset;
      if (!d_.ports_.firmware.write(download.offset, data, take)) {
        write_failed_ = true;
        return stop();
      }
      d_.ports_.sha256.update(data, take);
      download.offset += static_cast<std::uint32_t>(take);
      taken_ += static_cast<std::uint32_t>(take);
      data += take;
      n -= take;
      if (taken_ >= limit_ || download.offset == download.size) {
        if (n > 0 && download.offset == download.size) oversized_ = true;
        return n == 0 ? true : stop();
      }
    }
    return true;
  }

  bool restarted() const { return restarted_; }
  bool misplaced() const { return misplaced_; }
  bool oversized() const { return oversized_; }
  bool write_failed() const { return write_failed_; }
  std::uint32_t taken() const { return taken_; }
  std::uint32_t start() const { return start_; }

 private:
  bool stop() {
    d_.body_stopped_ = true;
    return false;
  }

  Device& d_;
  const HttpResponse& response_;
  std::uint32_t start_;
  std::uint32_t limit_;
  std::uint32_t taken_ = 0;
  bool checked_ = false;
  bool discard_ = false;
  bool restarted_ = false;
  bool misplaced_ = false;
  bool oversized_ = false;
  bool write_failed_ = false;
};

void Device::check_firmware(std::uint64_t now) {
  if (!url("/iot/firmware-version")) {
    count(ErrorKind::bad_response);
    next_firmware_check_ = now + tunables_.firmware_check_ms;
    return;
  }
  HttpRequest request;
  request.url = url_;
  HttpResponse response;
  detail::BufferSink body(body_, sizeof body_);
  if (authed(request, response, body, now) != Outcome::answered) return;
  credential_accepted();
  next_firmware_check_ = now + tunables_.firmware_check_ms;
  if (response.status == 404) return;  // nothing uploaded for this model
  Download next;
  std::uint32_t size = 0;
  const int version = detail::json_string(body.view(), "version", next.version.buffer(),
                                          next.version.capacity() + 1);
  const int sha =
      detail::json_string(body.view(), "sha256", next.sha256.buffer(), next.sha256.capacity() + 1);
  if (response.status != 200 || version <= 0 || sha != 64 ||
      !detail::json_uint(body.view(), "size", size) || size == 0) {
    count(ErrorKind::bad_response);
    return;
  }
  next.version.set_size(static_cast<std::size_t>(version));
  next.sha256.set_size(64);
  if (!is_hex(next.sha256.view())) {
    count(ErrorKind::bad_response);
    return;
  }
  if (next.version == running_version_.view()) return;
  if (!ports_.firmware.begin(size)) {
    count(ErrorKind::storage);
    return;
  }
  detail::TextBuilder tag(next.if_range.buffer(), next.if_range.capacity() + 1);
  tag.append('"').append(next.sha256.view()).append('"');
  next.if_range.set_size(tag.size());
  next.size = size;
  next.offset = 0;
  next.active = true;
  download_ = next;
  ports_.sha256.begin();
}

void Device::restart_download() {
  ports_.firmware.abort();
  download_.offset = 0;
  if (!ports_.firmware.begin(download_.size)) {
    count(ErrorKind::storage);
    download_.active = false;
    return;
  }
  ports_.sha256.begin();
}

void Device::download_chunk(std::uint64_t now) {
  if (!url("/iot/firmware")) {
    count(ErrorKind::bad_response);
    ports_.firmware.abort();
    download_.active = false;
    return;
  }
  HttpRequest request;
  request.url = url_;
  request.range_from = download_.offset;
  if (download_.offset > 0) request.if_range = download_.if_range.view();
  HttpResponse response;
  std::uint32_t chunk = tunables_.download_chunk > 0 ? tunables_.download_chunk : 4096;
  if (download_.whole) chunk = download_.size;
  FirmwareSink sink(*this, response, chunk);
  // On a dropped connection what arrived is kept: the next request resumes after it.
  if (authed(request, response, sink, now) != Outcome::answered) {
    if (sink.taken() > 0 && response.status != 200 && response.status != 206 &&
        response.status != 0)
      restart_download();  // an error body went into the image (an adapter without early status)
    return;
  }
  const auto abandon = [&] {
    ports_.firmware.abort();
    download_.active = false;
  };
  if (sink.write_failed()) {
    count(ErrorKind::storage);
    abandon();
    return;
  }
  const int status = response.status;
  if (status == 404) {  // the image was withdrawn
    abandon();
    return;
  }
  if (status != 200 && status != 206) {
    count(ErrorKind::bad_response);
    if (status == 416 || sink.taken() > 0) restart_download();
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return;
  }
  credential_accepted();
  if (!response.firmware_version.empty() &&
      !(response.firmware_version == download_.version.view())) {
    // Another image was uploaded meanwhile: start over from its metadata.
    abandon();
    next_firmware_check_ = now;
    return;
  }
  if (sink.oversized() ||
      (status == 206 && response.range_total != 0 && response.range_total != download_.size)) {
    count(ErrorKind::firmware_integrity);  // not the size the metadata announced
    abandon();
    return;
  }
  if (sink.misplaced()) {
    count(ErrorKind::bad_response);
    restart_download();
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return;
  }
  if (status == 200 && sink.start() > 0 && !sink.restarted()) {
    // A whole image written at the resume offset (the adapter told the status too late to
    // notice): start again from 0, and take it all at once, or this would repeat forever.
    restart_download();
    download_.whole = true;
    return;
  }
  if (download_.offset == download_.size) finish_download();
}

void Device::finish_download() {
  std::uint8_t digest[32];
  ports_.sha256.finish(digest);
  char hex[65];
  detail::TextBuilder out(hex, sizeof hex);
  detail::hex_encode(digest, sizeof digest, out);
  download_.active = false;
  if (!detail::equal_ignoring_case(out.view(), download_.sha256.view())) {
    count(ErrorKind::firmware_integrity);
    ports_.firmware.abort();
    return;
  }
  if (!ports_.firmware.finish()) {
    count(ErrorKind::storage);
    ports_.firmware.abort();
    return;
  }
  if (!ports_.storage.write(kState, "fw_version", download_.version.view()))
    count(ErrorKind::storage);
  running_version_ = download_.version;
  ++stats_.updates_applied;
  ports_.firmware.restart(running_version_.view());
}

}  // namespace iot_device
