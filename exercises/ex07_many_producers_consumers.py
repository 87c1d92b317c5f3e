"""Exercise 07: several producers and several consumers (多生产者多消费者).

One producer per food, several consumers sharing one queue, each eating whatever comes next.
As in exercise 06, main sends one None after the producers have finished. But there are several
consumers now: the first one to get that None stops, and the others wait in q.get() for ever,
so the program never ends. Make every consumer stop once everything has been eaten. Two ways
are right:

- send one None per consumer (not per producer), after every producer has finished; or
- use a JoinableQueue: each consumer calls q.task_done() for every item it has eaten, the
  consumers are daemons, and main waits with q.join() after joining the producers. (A daemon
  is stopped at exit without flushing its output: print with flush=True, or its lines may
  never appear when the output goes to a pipe or a file.)

每种食物一个生产者，多个消费者共用一个队列，谁拿到就谁吃。和第 06 题一样，main 在生产者都结束
之后放入一个 None。可是现在有多个消费者：第一个拿到 None 的消费者停下了，其余的消费者在
q.get() 里永远等下去，程序永远不会结束。请让所有东西被吃完之后每个消费者都能停下。两种做法都对：

- 在所有生产者都结束之后，每个消费者放一个 None（不是每个生产者一个）；或者
- 使用 JoinableQueue：消费者每吃完一个就调用 q.task_done()，消费者设为守护进程，main 在 join
  生产者之后用 q.join() 等待。（守护进程在程序退出时被直接结束，不会刷新输出缓冲：请用
  print(..., flush=True)，否则输出到管道或文件时这些行可能根本不出现。）

Run the lesson's demo:  python exercises/ex07_many_producers_consumers.py   (it hangs: Ctrl+C)
Grade this exercise:    nox -s grade -- 07
"""

from multiprocessing import Process, Queue


# Do not change the signature or the produced items. 不要修改函数签名和生产的内容。
def producer(q, food, n):
    for i in range(n):
        q.put(f"生产的第{i}个{food}")


# Do not change the signature or the printed line. 不要修改函数签名和打印内容。
def consumer(q, name):
    while True:
        item = q.get()
        if item is None:
            break
        print(f"{name}吃了{item}")


# Do not change the signature. 不要修改函数签名。
def main(foods=("包子", "骨头"), consumers=2, n=5):
    q = Queue()
    producers = [Process(target=producer, args=(q, food, n)) for food in foods]
    eaters = [Process(target=consumer, args=(q, f"消费者{j}")) for j in range(1, consumers + 1)]
    for p in producers + eaters:
        p.start()
    for p in producers:
        p.join()
    # TODO: every consumer must learn that production is over, not only the first.
    # TODO: 每个消费者都要知道生产已经结束，而不只是第一个。
    q.put(None)
    for c in eaters:
        c.join()


if __name__ == "__main__":
    main()
