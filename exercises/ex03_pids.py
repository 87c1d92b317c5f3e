"""Exercise 03: process IDs (查看进程号).

Every process has a PID. A child can ask for its own (os.getpid()) and for its parent's
(os.getppid()); the parent sees the child's as p.pid. With a PID you can end a process
(the lesson's `kill 9176`).

1. report(q): put this process's real (pid, ppid) on the queue.
2. stop_by_pid(seconds): the child sleeps for `seconds`; do not wait for it: end it by its PID
   with SIGTERM, join it, and return its exit code.

每个进程都有进程号。子进程可以用 os.getpid() 查看自己的进程号，用 os.getppid() 查看父进程的
进程号；父进程通过 p.pid 看到子进程的进程号。有了进程号就可以结束进程（课上的 kill 9176）。
1. report(q)：把本进程真实的 (pid, ppid) 放进队列。
2. stop_by_pid(seconds)：子进程会睡 seconds 秒；不要等它，用它的进程号发 SIGTERM 结束它，
   join 之后返回它的退出码。

Run the lesson's demo:  python exercises/ex03_pids.py
Grade this exercise:    nox -s grade -- 03
"""

import os
import time
from multiprocessing import Process, Queue


# Do not change the signature. 不要修改函数签名。
def report(q):
    # TODO: put this process's real PID and its parent's PID. 放入本进程和父进程的真实进程号。
    q.put((0, 0))


def sleeper(seconds):
    time.sleep(seconds)


# Do not change the signature or the printed lines. 不要修改函数签名和打印内容。
def main(n=2):
    q = Queue()
    processes = [Process(target=report, args=(q,)) for _ in range(n)]
    for p in processes:
        p.start()
        print(f"子进程的进程号: {p.pid}")
    print(f"主进程的进程号: {os.getpid()}")
    reports = [q.get() for _ in processes]  # read before joining
    for p in processes:
        p.join()
    by_pid = {pid: [pid, ppid] for pid, ppid in reports}
    return {
        "parent": os.getpid(),
        "children": [
            {"pid": p.pid, "reported": by_pid.get(p.pid, list(reports[i]))}
            for i, p in enumerate(processes)
        ],
    }


# Do not change the signature. 不要修改函数签名。
def stop_by_pid(seconds=20.0):
    p = Process(target=sleeper, args=(seconds,))
    p.start()
    # TODO: end the child by its PID instead of waiting for it. 用进程号结束子进程，不要等它睡完。
    p.join()
    return p.exitcode


if __name__ == "__main__":
    main()
