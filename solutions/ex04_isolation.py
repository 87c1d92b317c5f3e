"""Exercise 04: isolated memory, then sharing through a Queue (进程之间数据隔离). Reference."""

from multiprocessing import Process, Queue

n = 100


def task(value, q, payload=0):
    global n
    n = value  # the child's own n: the parent's stays 100
    q.put((n, "x" * payload))


def main(value=1, payload=0):
    q = Queue()
    p = Process(target=task, args=(value, q, payload))
    p.start()
    child_n, _ = q.get()  # read before joining: a large message cannot leave the child otherwise
    p.join()
    print(f"主进程中得值: {n}")
    return n, child_n


if __name__ == "__main__":
    main()
