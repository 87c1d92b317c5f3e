"""Exercise 01: the process lock (进程锁).

Three processes each announce their arrival, stay a while, and announce their departure. Right
now they all crowd in at once. Use the lock so that only one process is inside at a time, and
make sure a process that fails inside still lets the others in.

三个进程依次"来了"、停留一会儿、"走了"。现在它们同时挤进来了。请用锁保证同一时间只有一个
进程在里面；即使某个进程在里面出错，也要让其他进程还能进来。

Run the lesson's demo:  python exercises/ex01_process_lock.py
Grade this exercise:    nox -s grade -- 01
"""

import time
from multiprocessing import Lock, Process


# Do not change the signature or the printed lines. 不要修改函数签名和打印内容。
def task(i, lock, delay=1.0, fail=False):
    # TODO: only one process at a time may run the lines below. 同一时间只能有一个进程执行下面几行。
    print(f"进程{i}来了")
    time.sleep(delay)
    if fail:
        raise RuntimeError(f"进程{i}出错了")
    print(f"进程{i}走了")


# Do not change the signature. 不要修改函数签名。
def main(n=3, delay=1.0, fail=None):
    lock = Lock()
    processes = [Process(target=task, args=(i, lock, delay, i == fail)) for i in range(1, n + 1)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()


if __name__ == "__main__":
    main()
