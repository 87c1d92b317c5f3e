"""Exercise 06: producer and consumer, and the missing sentinel (生产者消费者). Reference."""

from multiprocessing import Process, Queue


def producer(q, food="包子", n=10):
    for i in range(n):
        q.put(f"生产的第{i}个{food}")


def consumer(q):
    while True:
        res = q.get()
        if res is None:
            break
        print(res)


def main(n=10, food="包子"):
    q = Queue(20)
    p1 = Process(target=producer, args=(q, food, n))
    p1.start()
    c1 = Process(target=consumer, args=(q,))
    c1.start()
    p1.join()  # production is over only once the producer has finished
    q.put(None)
    c1.join()


if __name__ == "__main__":
    main()
