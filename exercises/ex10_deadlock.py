"""Exercise 10: deadlock and the re-entrant lock (死锁与递归锁).

The classic "scientists eating noodles": there is one bowl of noodles and one fork, and
eating takes both. eat1 takes the noodles, then the fork; eat2 takes the fork, waits a
moment, then the noodles. With two separate locks, one eater ends up holding the noodles
while another holds the fork, and each waits for the other for ever: a deadlock. Run the
demo: it hangs.

Fix it, in one of two ways:
- use one threading.RLock as both locks: a re-entrant (recursive) lock can be taken again
  by the thread that holds it, so an eater takes "both" and nobody else gets either; or
- make both functions take the locks in the same order (noodles first, then the fork).
Either way, nobody may eat while another is eating, and an eater holds both while eating.

经典的"科学家吃面"：只有一碗面和一把叉子，要两样都拿到才能吃。eat1 先抢面条再抢叉子；
eat2 先抢叉子，停一下，再抢面条。用两把独立的锁时，一个人拿着面条、另一个人拿着叉子，
互相等待对方，永远等下去：这就是死锁。运行演示程序，它会卡住。
两种改法任选其一：
- 用同一把 threading.RLock（递归锁）同时当作两把锁：持有它的线程可以再次获得它，所以一个
  人能"两样都拿到"，别人一样也拿不到；或者
- 让两个函数按相同的顺序拿锁（先面条，后叉子）。
无论哪种改法，都不能有两个人同时吃面，吃面的人必须同时拿着面条和叉子。

Run the lesson's demo:  python exercises/ex10_deadlock.py   (it hangs: Ctrl+C)
Grade this exercise:    nox -s grade -- 10
"""

import time
from threading import Lock, Thread


# Do not change the signature or the printed lines. 不要修改函数签名和打印内容。
def eat1(name, noodle_lock, fork_lock, delay=0.1):
    with noodle_lock:
        print(f"{name}抢到了面条")
        with fork_lock:
            print(f"{name}抢到了叉子")
            print(f"{name}吃面")
            time.sleep(delay)


# Do not change the signature or the printed lines. 不要修改函数签名和打印内容。
def eat2(name, noodle_lock, fork_lock, delay=0.1):
    # TODO: either take the locks in the same order as eat1 (print each 抢到了 line when you
    # take that lock), or keep this order and fix the locks in main.
    # TODO: 要么和 eat1 按相同顺序拿锁（拿到哪样就打印哪句"抢到了"），
    # 要么保持这个顺序、改 main 里的锁。
    with fork_lock:
        print(f"{name}抢到了叉子")
        time.sleep(delay)
        with noodle_lock:
            print(f"{name}抢到了面条")
            print(f"{name}吃面")
            time.sleep(delay)


# Do not change the signature. 不要修改函数签名。
def main(names=("甲", "乙", "丙", "丁"), delay=0.1):
    # TODO: two separate locks taken in opposite orders deadlock. 两把独立的锁、相反的顺序会死锁。
    noodle_lock = Lock()
    fork_lock = Lock()
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
