#include "integral/util/serial_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <vector>

namespace integral {
namespace {

TEST(SerialWorker, RunsTasksInPostingOrderOffTheCallingThread) {
  std::vector<int> order;
  std::thread::id caller = std::this_thread::get_id(), ran_on;
  SerialWorker w(2);  // a small queue: post() must block and resume
  for (int i = 0; i < 100; ++i)
    w.post([&, i] {
      if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      order.push_back(i);
      ran_on = std::this_thread::get_id();
    });
  w.wait();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_NE(ran_on, caller);
}

TEST(SerialWorker, WaitForATicketCoversEveryEarlierTask) {
  std::atomic<int> count{0};
  SerialWorker w;
  uint64_t first = w.post([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ++count;
  });
  uint64_t second = w.post([&] { ++count; });
  EXPECT_EQ(second, first + 1);
  w.wait(first);
  EXPECT_GE(count.load(), 1);
  w.wait(second);
  EXPECT_EQ(count.load(), 2);
}

TEST(SerialWorker, AnExceptionSkipsTheRestOfTheChainAndIsRethrown) {
  int ran = 0;
  SerialWorker w;
  w.post([&] { ++ran; });
  w.post([] { throw std::runtime_error("boom"); });
  w.post([&] { ++ran; });
  EXPECT_THROW(w.wait(), std::runtime_error);
  EXPECT_EQ(ran, 1);
}

TEST(SerialWorker, DestructionDropsQueuedTasks) {
  std::atomic<int> ran{0};
  {
    SerialWorker w(64);
    w.post([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      ++ran;
    });
    for (int i = 0; i < 10; ++i) w.post([&] { ran += 100; });
  }
  // The first task may or may not have started; none of the queued ones ran.
  EXPECT_LE(ran.load(), 1);
}

}  // namespace
}  // namespace integral
