//===- ThreadPool.cpp - A small pool for splitting kernel calls -----------===//
#include "pfc/Runtime/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <system_error>

namespace pfc {

namespace {
/// How long an idle worker spins before it sleeps. Waking a sleeping thread
/// costs tens of microseconds on a virtual machine, more than a small layer's
/// whole call.
constexpr std::chrono::microseconds kSpin(200);

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
} // namespace

ThreadPool::ThreadPool(int64_t threads) {
  // A thread that cannot start (a process's thread limit) leaves the pool
  // smaller, never a vector of joinable threads destroyed mid-construction
  // (std::terminate): the calling thread runs the parts it would have.
  for (int64_t i = 1; i < threads; ++i) {
    try {
      workers.emplace_back([this, i] { work(i); });
    } catch (const std::system_error &) {
      break;
    }
  }
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
    auto spinUntil = std::chrono::steady_clock::now() + kSpin;
    while (generation.load(std::memory_order_acquire) == seen && !stopping) {
      if (std::chrono::steady_clock::now() < spinUntil) {
        relax();
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex);
      ++sleepers;
      wake.wait(lock, [&] { return stopping || generation != seen; });
      --sleepers;
    }
    // The call's generation, task and part count, read together: a call
    // that starts after this one ended cannot mix its fields into ours.
    const std::function<void(int64_t)> *task;
    int64_t parts;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stopping)
        return;
      seen = generation.load(std::memory_order_relaxed);
      task = current;
      parts = currentParts;
    }
    if (index < parts) {
      (*task)(index);
      pending.fetch_sub(1, std::memory_order_release);
    }
  }
}

std::atomic<ThreadPool::Runner> ThreadPool::runner{nullptr};

void ThreadPool::setRunner(Runner newRunner) {
  runner.store(newRunner, std::memory_order_release);
}

ThreadPool &ThreadPool::shared() {
  static ThreadPool pool(std::max(1u, std::thread::hardware_concurrency()));
  return pool;
}

void ThreadPool::run(int64_t parts, const std::function<void(int64_t)> &task) {
  if (Runner host = runner.load(std::memory_order_acquire); host && parts > 1)
    return host(parts, task);
  std::unique_lock<std::mutex> call(callMutex, std::try_to_lock);
  if (parts <= 1 || workers.empty() || !call.owns_lock()) {
    for (int64_t i = 0; i < parts; ++i)
      task(i);
    return;
  }
  // Parts beyond the pool's size run on the caller, after its own.
  const int64_t shared = std::min(parts, size());
  {
    std::lock_guard<std::mutex> lock(mutex);
    current = &task;
    currentParts = shared;
    pending.store(shared - 1, std::memory_order_relaxed);
    generation.fetch_add(1, std::memory_order_release);
  }
  if (sleepers.load() > 0)
    wake.notify_all();
  task(0);
  for (int64_t i = shared; i < parts; ++i)
    task(i);
  // The other parts take about as long as this one: wait for them busily.
  for (int64_t spins = 0; pending.load(std::memory_order_acquire) > 0;
       ++spins) {
    if (spins < 4096)
      relax();
    else
      std::this_thread::yield();
  }
}

} // namespace pfc
