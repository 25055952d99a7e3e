// The measurement of an image as it is written: its digests in several banks and its
// dm-verity tree, computed from the bytes the writer streams past (ImageSink), so the image
// is never read back. Each is one sequential chain over the whole image; they run on two
// worker threads while the calling thread writes the image.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/image/ext_writer.h"
#include "integral/image/verity.h"
#include "integral/util/atomic_file.h"
#include "integral/util/serial_worker.h"

namespace integral::image {

class MeasureSink : public ImageSink {
 public:
  // `banks` may be empty (no digests); without `hash_file` no verity tree is built. `image`
  // names the image in the verity result; `vp` as VerityFileWriter takes it.
  MeasureSink(std::vector<HashAlg> banks, std::string image, AtomicFile* hash_file,
              VerityParams vp);
  ~MeasureSink() override;
  MeasureSink(const MeasureSink&) = delete;
  MeasureSink& operator=(const MeasureSink&) = delete;

  void begin(uint64_t size) override;
  // The bytes stay the caller's and must stay valid until sync() (ImageSink's contract).
  void data(std::span<const uint8_t> b) override { queue({b.data(), b.size()}); }
  void zeros(uint64_t n) override { queue({nullptr, n}); }
  void sync() override;

  // After the last byte: one digest per bank, in the order given.
  std::vector<Digest> digests();
  // After the last byte: the tree written to `hash_file`, nullopt without one.
  std::optional<VerityFileResult> verity();
  uint64_t size() const { return size_; }

 private:
  struct Piece {
    const uint8_t* data;  // null: `size` zero bytes
    uint64_t size;
  };
  void queue(Piece p);
  void post();

  std::vector<HashAlg> banks_;
  MultiHasher hasher_;
  std::string image_;
  AtomicFile* hash_file_;
  VerityParams vp_;
  uint64_t size_ = 0;
  std::unique_ptr<VerityFileWriter> verity_;
  std::vector<Piece> pending_;
  uint64_t pending_bytes_ = 0;
  std::unique_ptr<SerialWorker> digest_worker_ = std::make_unique<SerialWorker>();
  std::unique_ptr<SerialWorker> verity_worker_ = std::make_unique<SerialWorker>();
};

}  // namespace integral::image
