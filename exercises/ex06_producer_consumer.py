"""Exercise 06: producer and consumer, and the missing sentinel (生产者消费者).

This is the lesson's program as written. It never ends: the consumer waits in q.get() for
ever, because nobody tells it that production is over. It also prints the sentinel, and main
joins a process that does not exist. Fix all three: send one None after the producer has
finished, stop the consumer at None without printing it, and join the right processes.

这是课上原样的代码，它永远不会结束：消费者一直在 q.get() 里等待，因为没有人告诉它生产已经
结束。它还会打印出 None，main 里还 join 了一个不存在的进程。请修复这三处：在生产者结束之后
放入一个 None；消费者遇到 None 就停止且不打印它；join 正确的进程。

Run the lesson's demo:  python exercises/ex06_producer_consumer.py   (it hangs: Ctrl+C)
Grade this exercise:    nox -s grade -- 06
"""

from multiprocessing import Process, Queue


# Do not change the signature or the produced items. 不要修改函数签名和生产的内容。
def producer(q, food="包子", n=10):
    for i in range(n):
        q.put(f"生产的第{i}个{food}")


# Do not change the signature. 不要修改函数签名。
def consumer(q):
    while True:
        res = q.get()
        # TODO: stop at the sentinel before printing it. 先判断是不是 None，再打印。
        print(res)
        if res is None:
            break


# Do not change the signature. 不要修改函数签名。
def main(n=10, food="包子"):
    q = Queue(20)
    p1 = Process(target=producer, args=(q, food, n))
    p1.start()
    c1 = Process(target=consumer, args=(q,))
    c1.start()
    # TODO: wait for the producer, send the sentinel, wait for the consumer.
    # TODO: 等生产者结束，放入 None，再等消费者结束。
    p1.join()
    p2.join()
    q.put(None)


if __name__ == "__main__":
    main()
