"""Exercise 04: isolated memory, then sharing through a Queue (进程之间数据隔离).

Every process has its own memory. The child below sets the global n to a new value, but the
parent's n stays 100: the child changed its own copy. To get data out of a child, send it
through a Queue. Make the child put (n, "x" * payload) on q, and make main return the parent's
n together with the n the child sent. The payload can be large (a megabyte): read the queue
before you join the child, or the two processes wait for each other for ever.

每个进程都有自己的内存。下面的子进程把全局变量 n 改成了新的值，但父进程的 n 仍然是 100：子进程
改的是它自己的那一份。要把数据从子进程拿出来，就要通过队列 Queue 发送。请让子进程把
(n, "x" * payload) 放进 q，并让 main 返回父进程的 n 和子进程发来的 n。payload 可能很大（1 MB）：
先从队列取数据，再 join 子进程，否则两个进程会永远互相等待。

Run the lesson's demo:  python exercises/ex04_isolation.py
Grade this exercise:    nox -s grade -- 04
"""

from multiprocessing import Process, Queue

n = 100


# Do not change the signature. 不要修改函数签名。
def task(value, q, payload=0):
    global n
    n = value
    # TODO: send (n, "x" * payload) to the parent through q.
    # TODO: 通过 q 把 (n, "x" * payload) 发给父进程。


# Do not change the signature or the printed line. 不要修改函数签名和打印内容。
def main(value=1, payload=0):
    q = Queue()
    p = Process(target=task, args=(value, q, payload))
    p.start()
    # TODO: take what the child sent off the queue, before joining it.
    # TODO: 先从队列取出子进程发来的数据，再 join。
    p.join()
    print(f"主进程中得值: {n}")
    # TODO: return the parent's n and the n the child sent. 返回父进程的 n 和子进程发来的 n。
    return n, n


if __name__ == "__main__":
    main()
