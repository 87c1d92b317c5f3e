"""Exercise 08: threads (线程). Reference solution."""

import os
import threading
import time
from threading import Thread

seen = {}


def task(a, b, delay=2.0):
    print("from task")
    seen["pid"] = os.getpid()
    seen["name"] = threading.current_thread().name
    time.sleep(delay)
    print("aaa")


def thread_facts(a="a", b=1):
    t = Thread(target=task, name="Thread-2", args=(a,), kwargs={"b": b, "delay": 0.2})
    t.start()
    alive_before_join = t.is_alive()
    main_name = threading.main_thread().name
    active_during = threading.active_count()  # the main thread, t, and any other alive
    names_during = sorted(thread.name for thread in threading.enumerate())
    t.join()
    return {
        "name": t.name,
        "alive_before_join": alive_before_join,
        "alive_after_join": t.is_alive(),
        "main": main_name,
        "active_during": active_during,
        "names_during": names_during,
        "pid_in_thread": seen["pid"],  # the same process: threads share it
        "pid_in_main": os.getpid(),
    }


def main(daemon=True, delay=2.0):
    t = Thread(target=task, name="Thread-2", args=("a",), kwargs={"b": 1, "delay": delay})
    t.daemon = daemon  # before start(): a daemon thread ends with the main thread
    t.start()
    print("主线程")


if __name__ == "__main__":
    main()
