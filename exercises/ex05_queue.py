"""Exercise 05: the bounded queue (队列).

A Queue(3) holds at most three items, first in, first out. put() and get() wait (block) while
the queue is full or empty; with block=False, or as put_nowait() and get_nowait(), they raise
queue.Full or queue.Empty at once instead; with a timeout they wait at most that long, then
raise. Right now every function below waits with no timeout, so the lesson's demo hangs as soon
as the queue is full. Make each one do what its docstring says.

Two traps: a multiprocessing.Queue sends what you put through a pipe, from a background thread,
so right after put() the queue can still look empty (empty() says True, get_nowait() raises
Empty) — wait with a timeout instead of asking empty(). And never wait in a loop that keeps
trying: a waiting process should sleep inside put() or get(), not burn the CPU.

Queue(3) 最多只能放三个数据，先进先出。队列满了或空了的时候，put() 和 get() 会一直等待（阻塞）；
block=False（或 put_nowait()、get_nowait()）会立刻报 queue.Full 或 queue.Empty 错误；给了
timeout 就最多等这么久，然后报错。现在下面每个函数都没有超时地等待，所以队列一满，课上的演示
就卡住了。请让每个函数做到它的文档字符串所说的事情。

两个陷阱：multiprocessing.Queue 是由后台线程通过管道把数据送过去的，所以刚 put() 之后队列可能
看起来还是空的（empty() 返回 True，get_nowait() 报 Empty）——请用带 timeout 的等待，而不要
相信 empty()。另外不要用一直重试的循环来等待：等待中的进程应该在 put() 或 get() 里睡眠，而不是
占满 CPU。

Run the lesson's demo:  python exercises/ex05_queue.py   (it hangs: Ctrl+C)
Grade this exercise:    nox -s grade -- 05
"""

import queue  # noqa: F401  (queue.Full and queue.Empty are the errors you will catch)
from multiprocessing import Queue


# Do not change the signature. 不要修改函数签名。
def offer_all(q, items):
    """Put each item without waiting; return, in order, the items that did not fit.

    每个数据都不等待地放入队列；按顺序返回放不进去的那些数据。"""
    rejected = []
    for item in items:
        # TODO: don't wait for room: an item that does not fit goes into `rejected`.
        # TODO: 不要等待空位：放不进去的数据放进 rejected。
        q.put(item)
    return rejected


# Do not change the signature. 不要修改函数签名。
def put_within(q, item, timeout):
    """Wait at most `timeout` seconds for room; return whether the item went in.

    最多等待 timeout 秒；返回数据有没有放进去。"""
    # TODO: wait at most `timeout`; return False when there was no room in time.
    # TODO: 最多等 timeout 秒；时间到了还没有空位就返回 False。
    q.put(item)
    return True


# Do not change the signature. 不要修改函数签名。
def take(q, timeout):
    """Return the next item, or None when nothing arrives within `timeout` seconds.

    返回下一个数据；timeout 秒内什么都没有来就返回 None。"""
    # TODO: wait at most `timeout`; return None when nothing came in time.
    # TODO: 最多等 timeout 秒；时间到了还没有数据就返回 None。
    return q.get()


# Do not change the signature. 不要修改函数签名。
def drain(q, timeout=0.1):
    """Take items until none arrives within `timeout` seconds; return them in order.

    一直取数据，直到 timeout 秒内再也没有数据来；按顺序返回取到的数据。"""
    items = []
    while True:
        # TODO: stop when nothing arrives within `timeout` (don't trust q.empty()).
        # TODO: timeout 秒内没有数据来就停止（不要相信 q.empty()）。
        items.append(q.get())
    return items


# Given: the lesson's qsize(), empty() and full(). Approximate while items are on their way.
# 已给出：课上的 qsize()、empty()、full()。数据还在路上时它们只是近似值。
def status(q):
    return q.qsize(), q.empty(), q.full()


# Do not change the signature. 不要修改函数签名。
def main():
    q = Queue(3)
    q.put("helloworld1")
    q.put("helloworld2")
    q.put("helloworld3")
    print(offer_all(q, ["helloworld4"]))  # the queue is full: ['helloworld4'] 队列已满
    print(take(q, 3))
    print(take(q, 3))
    print(take(q, 3))
    print(status(q))


if __name__ == "__main__":
    main()
