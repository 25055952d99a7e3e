#include "integral/util/serial_worker.h"

namespace integral {

SerialWorker::SerialWorker(size_t max_queued)
    : max_queued_(max_queued == 0 ? 1 : max_queued), thread_([this] { loop(); }) {}

SerialWorker::~SerialWorker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t SerialWorker::post(std::function<void()> task) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queue_.size() < max_queued_; });
  queue_.push_back(std::move(task));
  uint64_t ticket = ++posted_;
  lock.unlock();
  cv_.notify_all();
  return ticket;
}

void SerialWorker::wait(uint64_t ticket) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_ >= ticket; });
  if (error_) std::rethrow_exception(error_);
}

void SerialWorker::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    auto task = std::move(queue_.front());
    queue_.pop_front();
    bool skip = error_ != nullptr;
    lock.unlock();
    cv_.notify_all();  // room in the queue
    std::exception_ptr err;
    if (!skip) {
      try {
        task();
      } catch (...) {
        err = std::current_exception();
      }
    }
    task = nullptr;  // release what it captured before reporting it done
    lock.lock();
    if (err && !error_) error_ = err;
    ++done_;
    cv_.notify_all();
  }
}

}  // namespace integral
