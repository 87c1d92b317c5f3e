"""Exercise 09: threads share data, so they need a mutex (互斥锁). Reference solution."""

import time
from threading import Lock, Thread

n = 100


def task(lock, delay=0.1):
    global n
    with lock:  # read, wait and write as one step: nobody else reads n in between
        tmp = n
        time.sleep(delay)
        n = tmp - 1


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
