//===- ThreadPoolTest.cpp - The runtime's shared thread pool --------------===//
#include "pfc/Runtime/ThreadPool.h"

#include "gtest/gtest.h"

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

using namespace pfc;

namespace {

TEST(ThreadPool, RunsEveryPartOnce) {
  ThreadPool pool(3);
  ASSERT_EQ(pool.size(), 3);
  for (int64_t parts : {0, 1, 2, 3}) {
    std::vector<std::atomic<int>> runs(parts);
    pool.run(parts, [&](int64_t i) { ++runs[i]; });
    for (int64_t i = 0; i < parts; ++i)
      EXPECT_EQ(runs[i].load(), 1) << "part " << i << " of " << parts;
  }
}

TEST(ThreadPool, PartsRunOnDifferentThreads) {
  ThreadPool pool(2);
  std::thread::id ids[2];
  std::atomic<int> arrived = 0;
  pool.run(2, [&](int64_t i) {
    ids[i] = std::this_thread::get_id();
    // Both parts must be running at once for both to arrive.
    ++arrived;
    while (arrived.load() < 2)
      std::this_thread::yield();
  });
  EXPECT_EQ(ids[0], std::this_thread::get_id());
  EXPECT_NE(ids[0], ids[1]);
}

TEST(ThreadPool, ABusyPoolRunsAnotherCallOnItsOwnThread) {
  ThreadPool pool(2);
  std::atomic<bool> otherDone = false;
  std::vector<std::thread::id> otherIds(2);
  std::thread::id otherCaller;
  pool.run(2, [&](int64_t i) {
    if (i != 0)
      return;
    // While this call holds the workers, another thread calls in: its parts
    // must all run on that thread, without waiting for this call.
    std::thread other([&] {
      otherCaller = std::this_thread::get_id();
      pool.run(2, [&](int64_t j) { otherIds[j] = std::this_thread::get_id(); });
      otherDone = true;
    });
    other.join();
  });
  EXPECT_TRUE(otherDone.load());
  EXPECT_EQ(otherIds[0], otherCaller);
  EXPECT_EQ(otherIds[1], otherCaller);
}

TEST(ThreadPool, CallsOfDifferentSizesRunEachPartOnce) {
  // A worker left out of one call must not run a part of the next one
  // twice, nor after the call returned.
  ThreadPool pool(4);
  for (int call = 0; call < 5000; ++call) {
    int64_t parts = call % 2 ? 2 : 4 + call % 3; // 2, 4, 5 or 6 parts
    std::vector<std::atomic<int>> runs(parts);
    pool.run(parts, [&](int64_t i) { ++runs[i]; });
    for (int64_t i = 0; i < parts; ++i)
      ASSERT_EQ(runs[i].load(), 1) << "call " << call << " part " << i;
  }
}

TEST(ThreadPool, ManyCallersAllFinish) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum = 0;
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&] {
      for (int k = 0; k < 200; ++k)
        pool.run(2, [&](int64_t i) { sum += i + 1; });
    });
  for (std::thread &caller : callers)
    caller.join();
  EXPECT_EQ(sum.load(), 4 * 200 * 3);
}

// A host's runner (here: every part on a thread of its own) takes every
// parallel call of every pool; single parts stay on the caller.
std::atomic<int> runnerCalls = 0;
void runOnFreshThreads(int64_t parts,
                       const std::function<void(int64_t)> &task) {
  ++runnerCalls;
  std::vector<std::thread> threads;
  for (int64_t i = 0; i < parts; ++i)
    threads.emplace_back(task, i);
  for (std::thread &t : threads)
    t.join();
}

TEST(ThreadPool, AHostRunnerRunsTheParts) {
  ThreadPool pool(2);
  ThreadPool::setRunner(runOnFreshThreads);
  std::vector<std::atomic<int>> runs(5);
  std::vector<std::thread::id> ids(5);
  pool.run(5, [&](int64_t i) {
    ++runs[i];
    ids[i] = std::this_thread::get_id();
  });
  pool.run(1, [&](int64_t) { ids[0] = std::this_thread::get_id(); });
  ThreadPool::setRunner(nullptr);
  EXPECT_EQ(runnerCalls.load(), 1);
  EXPECT_EQ(ids[0], std::this_thread::get_id());
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(runs[i].load(), 1) << "part " << i;
    if (i > 0)
      EXPECT_NE(ids[i], std::this_thread::get_id()) << "part " << i;
  }
  // Without the runner, the pool's own workers again.
  pool.run(2, [&](int64_t i) { ids[i] = std::this_thread::get_id(); });
  EXPECT_EQ(runnerCalls.load(), 1);
  EXPECT_EQ(ids[0], std::this_thread::get_id());
}

} // namespace
