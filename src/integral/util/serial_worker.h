// Runs tasks one after another, in the order they were posted, on one background thread.
// A sequential chain of work (a running digest over a stream) then overlaps the caller's own
// work on a second core without changing its result: the order of the chain is the posting
// order, whatever the timing.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace integral {

class SerialWorker {
 public:
  // post() blocks while `max_queued` tasks wait to run (bounds the memory they hold).
  explicit SerialWorker(size_t max_queued = 8);
  // Drops the tasks not yet started, waits for the running one.
  ~SerialWorker();
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  // Queues a task; returns its ticket (1, 2, ... in posting order). After a task throws, the
  // tasks behind it are skipped (their chain is broken) and wait() rethrows the exception.
  uint64_t post(std::function<void()> task);
  // Waits until the task with this ticket (and so every earlier one) has finished.
  void wait(uint64_t ticket);
  // Waits until every posted task has finished.
  void wait() { wait(posted_); }

 private:
  void loop();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  uint64_t posted_ = 0, done_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: started after everything it uses
};

}  // namespace integral
