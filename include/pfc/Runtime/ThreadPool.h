//===- ThreadPool.h - A small pool for splitting kernel calls ---*- C++ -*-===//
#ifndef PFC_RUNTIME_THREADPOOL_H
#define PFC_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pfc {

/// `threads − 1` workers that, with the calling thread, run the parts of one
/// parallel call at a time. A call made while another is running does not
/// wait and does not add threads: it runs all its parts on its own thread, so
/// a program that calls layers from several threads never has more threads
/// busy than it made plus the pool's workers.
class ThreadPool {
public:
  explicit ThreadPool(int64_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// The process's pool, one thread per hardware thread, shared by layers.
  static ThreadPool &shared();

  int64_t size() const { return static_cast<int64_t>(workers.size()) + 1; }

  /// Runs task(i) for i in [0, parts); returns when all end. Up to size()
  /// parts run in parallel (the rest on the caller), unless another call
  /// holds the workers.
  void run(int64_t parts, const std::function<void(int64_t)> &task);

  /// Another threading runtime that runs every pool's parallel calls instead
  /// of its workers: runner(parts, task) calls task(i) for each i in
  /// [0, parts) and returns when all have ended. A host that keeps threads
  /// of its own (PyTorch's OpenMP team) installs one, so that its work and
  /// pfc's share one set of threads rather than compete for the cores: an
  /// idle OpenMP thread spins for milliseconds, and pfc's workers spinning
  /// beside it would halve both. It may change at any time (a call uses the
  /// runner it started with); nullptr restores the workers. Unlike the
  /// workers, a runner may run calls from several threads at once, each on
  /// a team of its own.
  using Runner = void (*)(int64_t parts,
                          const std::function<void(int64_t)> &task);
  static void setRunner(Runner runner);

private:
  void work(int64_t index);

  static std::atomic<Runner> runner;

  std::vector<std::thread> workers;
  std::mutex callMutex; // held by the call that has the workers
  // A worker spins on `generation` for a while after each task, so that
  // back-to-back calls do not pay for waking a thread; then it sleeps on
  // `wake`. `generation` only changes under `mutex`, and a worker counts
  // itself in `sleepers` under `mutex` before it sleeps, so no wake-up is
  // lost.
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<int64_t> generation{0};
  std::atomic<int64_t> sleepers{0};
  std::atomic<int64_t> pending{0};
  std::atomic<bool> stopping{false};
  const std::function<void(int64_t)> *current = nullptr;
  int64_t currentParts = 0;
};

} // namespace pfc

#endif // PFC_RUNTIME_THREADPOOL_H
