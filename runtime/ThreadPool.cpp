//===- ThreadPool.cpp - A small pool for splitting kernel calls -----------===//
#include "pfc/Runtime/ThreadPool.h"

#include <algorithm>

namespace pfc {

ThreadPool::ThreadPool(int64_t threads) {
  for (int64_t i = 1; i < threads; ++i)
    workers.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &worker : workers)
    worker.join();
}

void ThreadPool::work(int64_t index) {
  int64_t seen = 0;
  while (true) {
    const std::function<void(int64_t)> *task;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping)
        return;
      seen = generation;
      if (index >= currentParts)
        continue;
      task = current;
    }
    (*task)(index);
    std::lock_guard<std::mutex> lock(mutex);
    if (--pending == 0)
      done.notify_one();
  }
}

ThreadPool &ThreadPool::shared() {
  static ThreadPool pool(std::max(1u, std::thread::hardware_concurrency()));
  return pool;
}

void ThreadPool::run(int64_t parts, const std::function<void(int64_t)> &task) {
  std::unique_lock<std::mutex> call(callMutex, std::try_to_lock);
  if (parts <= 1 || workers.empty() || !call.owns_lock()) {
    for (int64_t i = 0; i < parts; ++i)
      task(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    current = &task;
    currentParts = parts;
    pending = parts - 1;
    ++generation;
  }
  wake.notify_all();
  task(0);
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock, [&] { return pending == 0; });
}

} // namespace pfc
