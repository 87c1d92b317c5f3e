"""Exercise 01: the process lock (进程锁). Reference solution."""

import time
from multiprocessing import Lock, Process


def task(i, lock, delay=1.0, fail=False):
    with lock:  # released on the way out, even when the body raises
        print(f"进程{i}来了")
        time.sleep(delay)
        if fail:
            raise RuntimeError(f"进程{i}出错了")
        print(f"进程{i}走了")


def main(n=3, delay=1.0, fail=None):
    lock = Lock()
    processes = [Process(target=task, args=(i, lock, delay, i == fail)) for i in range(1, n + 1)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()


if __name__ == "__main__":
    main()
