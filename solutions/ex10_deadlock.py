"""Exercise 10: deadlock and the re-entrant lock (死锁与递归锁). Reference solution."""

import time
from threading import RLock, Thread


def eat1(name, noodle_lock, fork_lock, delay=0.1):
    with noodle_lock:
        print(f"{name}抢到了面条")
        with fork_lock:
            print(f"{name}抢到了叉子")
            print(f"{name}吃面")
            time.sleep(delay)


def eat2(name, noodle_lock, fork_lock, delay=0.1):
    with fork_lock:
        print(f"{name}抢到了叉子")
        time.sleep(delay)
        with noodle_lock:
            print(f"{name}抢到了面条")
            print(f"{name}吃面")
            time.sleep(delay)


def main(names=("甲", "乙", "丙", "丁"), delay=0.1):
    # One re-entrant lock as both: the thread that holds it may take it again, so whoever
    # holds "the noodles" also holds "the fork", and nobody else gets either.
    noodle_lock = fork_lock = RLock()
    threads = []
    for name in names:
        threads.append(Thread(target=eat1, args=(name, noodle_lock, fork_lock, delay)))
        threads.append(Thread(target=eat2, args=(name, noodle_lock, fork_lock, delay)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
