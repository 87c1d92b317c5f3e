"""Exercise 03: process IDs (查看进程号). Reference solution."""

import os
import signal
import time
from multiprocessing import Process, Queue


def report(q):
    q.put((os.getpid(), os.getppid()))


def sleeper(seconds):
    time.sleep(seconds)


def main(n=2):
    q = Queue()
    processes = [Process(target=report, args=(q,)) for _ in range(n)]
    for p in processes:
        p.start()
        print(f"子进程的进程号: {p.pid}")
    print(f"主进程的进程号: {os.getpid()}")
    # Read before joining: a child cannot exit while its data is still unsent.
    reports = [q.get() for _ in processes]
    for p in processes:
        p.join()
    by_pid = {pid: [pid, ppid] for pid, ppid in reports}
    return {
        "parent": os.getpid(),
        "children": [{"pid": p.pid, "reported": by_pid[p.pid]} for p in processes],
    }


def stop_by_pid(seconds=20.0):
    p = Process(target=sleeper, args=(seconds,))
    p.start()
    os.kill(p.pid, signal.SIGTERM)
    p.join()
    return p.exitcode


if __name__ == "__main__":
    main()
