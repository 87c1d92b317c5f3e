"""Exercise 07: several producers and several consumers (多生产者多消费者). Reference."""

from multiprocessing import Process, Queue


def producer(q, food, n):
    for i in range(n):
        q.put(f"生产的第{i}个{food}")


def consumer(q, name):
    while True:
        item = q.get()
        if item is None:
            break
        print(f"{name}吃了{item}")


def main(foods=("包子", "骨头"), consumers=2, n=5):
    q = Queue()
    producers = [Process(target=producer, args=(q, food, n)) for food in foods]
    eaters = [Process(target=consumer, args=(q, f"消费者{j}")) for j in range(1, consumers + 1)]
    for p in producers + eaters:
        p.start()
    for p in producers:
        p.join()  # production is over only once every producer has finished
    for _ in eaters:
        q.put(None)  # one sentinel per consumer: each stops at the first it gets
    for c in eaters:
        c.join()


if __name__ == "__main__":
    main()
