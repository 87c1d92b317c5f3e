"""Exercise 09: threads share data, so they need a mutex (互斥锁).

All the threads of a process share its globals. Each task below reads n, waits a moment (the
time.sleep stands for any work, or a thread switch), then writes back what it read minus one.
With 100 threads, every one of them reads 100 before any has written, and n ends at 99
instead of 0: 99 updates were lost. Take the lock around the read, the wait and the write, so
that only one thread at a time is between reading n and writing it.

Compare exercise 04: there, each process had its own n, and nothing a child did changed the
parent's. Threads have no such protection: they all change the same n.

一个进程里的所有线程共享全局变量。下面的 task 先读 n，等一会儿（time.sleep 代表任何耗时的
操作，或者一次线程切换），再把读到的值减一写回去。100 个线程时，每个线程都在别人写回之前读到
了 100，n 最后是 99 而不是 0：99 次修改丢失了。请用锁把"读、等、写"包起来，让同一时间只有一个
线程处在读 n 和写 n 之间。
对比练习 04：那里每个进程都有自己的 n，子进程做什么都改变不了父进程的 n。线程没有这种保护：
它们改的是同一个 n。

Run the lesson's demo:  python exercises/ex09_thread_race.py   (with the lock: 100 × 0.1 s)
Grade this exercise:    nox -s grade -- 09
"""

import time
from threading import Lock, Thread

n = 100


# Do not change the signature. 不要修改函数签名。
def task(lock, delay=0.1):
    global n
    # TODO: only one thread at a time may run the three lines below.
    # TODO: 同一时间只能有一个线程执行下面三行。
    tmp = n
    time.sleep(delay)
    n = tmp - 1


# Do not change the signature. 不要修改函数签名。
def main(threads=100, delay=0.1):
    global n
    n = 100  # each call starts again from 100
    lock = Lock()
    workers = [Thread(target=task, args=(lock, delay)) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return n


if __name__ == "__main__":
    main()
