#include "integral/image/measure_sink.h"

#include <algorithm>

namespace integral::image {

MeasureSink::MeasureSink(std::vector<HashAlg> banks, std::string image, AtomicFile* hash_file,
                         VerityParams vp)
    : banks_(std::move(banks)),
      hasher_(banks_),
      image_(std::move(image)),
      hash_file_(hash_file),
      vp_(std::move(vp)) {}

MeasureSink::~MeasureSink() {  // the workers first: their tasks use the members
  digest_worker_.reset();
  verity_worker_.reset();
}

void MeasureSink::begin(uint64_t size) {
  size_ = size;
  if (hash_file_) verity_ = std::make_unique<VerityFileWriter>(image_, *hash_file_, vp_, size);
}

void MeasureSink::sync() {
  post();
  digest_worker_->wait();
  verity_worker_->wait();
}

std::vector<Digest> MeasureSink::digests() {
  sync();
  return hasher_.finish();
}

std::optional<VerityFileResult> MeasureSink::verity() {
  if (!verity_) return std::nullopt;
  sync();
  return verity_->finish();
}

// Pieces are gathered into tasks of at least 1 MiB (a task per 4 KiB page would cost more in
// hand-offs than it saves).
void MeasureSink::queue(Piece p) {
  pending_.push_back(p);
  pending_bytes_ += p.size;
  if (pending_bytes_ >= (1u << 20)) post();
}

void MeasureSink::post() {
  if (pending_.empty()) return;
  auto pieces = std::make_shared<const std::vector<Piece>>(std::move(pending_));
  pending_.clear();
  pending_bytes_ = 0;
  if (!banks_.empty())
    digest_worker_->post([this, pieces] {
      static const std::vector<uint8_t> z(1u << 20, 0);
      for (const Piece& p : *pieces) {
        if (p.data) {
          hasher_.update(std::span(p.data, static_cast<size_t>(p.size)));
          continue;
        }
        for (uint64_t n = p.size; n; n -= std::min<uint64_t>(n, z.size()))
          hasher_.update(std::span(z.data(), static_cast<size_t>(std::min<uint64_t>(n, z.size()))));
      }
    });
  if (verity_)
    verity_worker_->post([this, pieces] {
      for (const Piece& p : *pieces) {
        if (p.data)
          verity_->update(std::span(p.data, static_cast<size_t>(p.size)));
        else
          verity_->zeros(p.size);
      }
    });
}

}  // namespace integral::image
