"""Exercise 05: the bounded queue (队列). Reference."""

import queue
from multiprocessing import Queue


def offer_all(q, items):
    rejected = []
    for item in items:
        try:
            q.put_nowait(item)
        except queue.Full:
            rejected.append(item)
    return rejected


def put_within(q, item, timeout):
    try:
        q.put(item, timeout=timeout)
    except queue.Full:
        return False
    return True


def take(q, timeout):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        return None


def drain(q, timeout=0.1):
    items = []
    while True:
        try:
            # A wait, not empty(): right after put() the item may still be on its way.
            items.append(q.get(timeout=timeout))
        except queue.Empty:
            return items


def status(q):
    return q.qsize(), q.empty(), q.full()


def main():
    q = Queue(3)
    q.put("helloworld1")
    q.put("helloworld2")
    q.put("helloworld3")
    print(offer_all(q, ["helloworld4"]))
    print(take(q, 3))
    print(take(q, 3))
    print(take(q, 3))
    print(status(q))


if __name__ == "__main__":
    main()
