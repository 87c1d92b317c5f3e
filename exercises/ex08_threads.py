"""Exercise 08: threads (线程).

A thread is started the way a process is: Thread(target=..., name=..., args=..., kwargs=...),
then start() and join(). Unlike processes, the threads of a process share it: the same PID,
the same globals. A daemon thread ends with the main thread.

1. thread_facts(a, b): start task in a thread named "Thread-2", with args=(a,) and
   kwargs={"b": b, "delay": 0.2}. While it runs, look at it and at the threads around it;
   join it; return what you saw (the dict below). Don't guess: the grader renames the main
   thread and keeps an extra thread alive, so only a program that looks answers right.
2. main(daemon, delay): the lesson's program. Start task as a thread whose daemon flag is
   `daemon`, print 主线程, and return without joining. Run as a program, a daemon thread dies
   with the main thread (`aaa` never appears); a non-daemon one finishes first.

Use today's names only: `t.daemon = True` (not t.setDaemon(True)), `t.name` (not t.getName()
or t.setName()), `threading.current_thread()` (not currentThread()), `threading.active_count()`
(not activeCount()). The old ones are deprecated: they raise a DeprecationWarning.

线程的开启方式和进程一样：Thread(target=..., name=..., args=..., kwargs=...)，然后 start()、
join()。和进程不同，同一个进程里的线程共享这个进程：同一个进程号，同一份全局变量。守护线程
会随着主线程结束而结束。
1. thread_facts(a, b)：开一个名为 "Thread-2" 的线程运行 task，args=(a,)，
   kwargs={"b": b, "delay": 0.2}。在它运行时观察它和它周围的线程，join 之后返回你看到的
   （见下面的字典）。不要猜：评分程序会给主线程改名，还会让另一个线程一直活着，只有真正去看
   的程序才能答对。
2. main(daemon, delay)：课上的程序。开一个线程运行 task，按参数 daemon 设置守护线程，打印
   主线程，不 join 直接返回。作为程序运行时，守护线程随主线程一起结束（不会打印 aaa）；
   非守护线程会先运行完。
只用现在的写法：`t.daemon = True`（不是 t.setDaemon(True)）、`t.name`（不是 t.getName() 或
t.setName()）、`threading.current_thread()`（不是 currentThread()）、
`threading.active_count()`（不是 activeCount()）。旧写法已经弃用，会引发 DeprecationWarning。

Run the lesson's demo:  python exercises/ex08_threads.py
Grade this exercise:    nox -s grade -- 08
"""

import os
import threading
import time
from threading import Thread

seen = {}


# Given: do not change. 已给出，不要修改。
def task(a, b, delay=2.0):
    print("from task")
    seen["pid"] = os.getpid()
    seen["name"] = threading.current_thread().name
    time.sleep(delay)
    print("aaa")


# Do not change the signature or the keys of the returned dict. 不要修改函数签名和字典的键。
def thread_facts(a="a", b=1):
    # TODO: start task in a thread named "Thread-2" with args=(a,) and
    # kwargs={"b": b, "delay": 0.2}; look while it runs, then join it, and return what you saw.
    # TODO: 开一个名为 "Thread-2" 的线程运行 task，args=(a,)，kwargs={"b": b, "delay": 0.2}；
    # 在它运行时观察，然后 join，返回你看到的。
    return {
        "name": "Thread-2",  # the thread's name
        "alive_before_join": True,  # t.is_alive() before t.join()
        "alive_after_join": False,  # t.is_alive() after t.join()
        "main": "MainThread",  # the main thread's name
        "active_during": 2,  # how many threads are alive while it runs
        "names_during": ["MainThread", "Thread-2"],  # their names, sorted
        "pid_in_thread": None,  # seen["pid"] after the join
        "pid_in_main": os.getpid(),
    }


# Do not change the signature or the printed line. 不要修改函数签名和打印内容。
def main(daemon=True, delay=2.0):
    t = Thread(target=task, name="Thread-2", args=("a",), kwargs={"b": 1, "delay": delay})
    # TODO: make t a daemon thread when `daemon` is true, before it starts.
    # TODO: 在 start() 之前，按参数 daemon 把 t 设为守护线程。
    t.start()
    print("主线程")


if __name__ == "__main__":
    main()
