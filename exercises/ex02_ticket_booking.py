"""Exercise 02: ticket grabbing (抢票).

The tickets live in a JSON file {"count": N}. Every buyer first searches (anyone may look at
the same time), then buys: it reads the count, waits for the network, and writes the count
minus one. Right now nothing keeps two buyers apart while they buy, so they all read the same
count and the tickets are oversold. Use the lock so that only the purchase, from reading the
count to writing it back, happens one buyer at a time. Leave the search outside the lock:
locking keeps the data safe, but the program is slower, so lock only what must be.

票数保存在一个 JSON 文件 {"count": N} 里。每个用户先查询余票（大家可以同时查），再购买：读出
票数，等待网络，写回票数减一。现在购买时没有任何东西把用户们隔开，他们读到同一个票数，票就
被超卖了。请用锁保证"购买"这一段（从读票数到写回票数）同一时间只有一个用户在做。查询不要放
进锁里：加锁保证了数据安全，但程序变慢了，所以只锁必须锁的部分。

Run the lesson's demo:  python exercises/ex02_ticket_booking.py
Grade this exercise:    nox -s grade -- 02
"""

import json
import os
import tempfile
import time
from multiprocessing import Lock, Process


# Given: reads the ticket count. 已给出：读取票数。
def load(db_path):
    with open(db_path, encoding="utf-8") as file:
        return json.load(file)["count"]


# Given: writes the ticket count atomically (a temporary file, then os.replace), so a search
# never reads half a file. 已给出：原子地写入票数（先写临时文件，再 os.replace）。
def save(db_path, count):
    folder = os.path.dirname(os.path.abspath(db_path))
    fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump({"count": count}, file)
    os.replace(temporary, db_path)


# Do not change the signature or the printed line. 不要修改函数签名和打印内容。
def search(i, db_path, delay=0.1):
    time.sleep(delay)  # the network 模拟网络延迟
    count = load(db_path)
    print(f"用户{i}查询余票: {count}")
    return count


# Do not change the signature or the printed lines. 不要修改函数签名和打印内容。
def buy(i, db_path, delay=0.1):
    count = load(db_path)
    time.sleep(delay)  # the network 模拟网络延迟
    if count > 0:
        save(db_path, count - 1)
        print(f"用户{i}抢票成功")
        return True
    print(f"用户{i}抢票失败")
    return False


# Do not change the signature. 不要修改函数签名。
def task(i, db_path, lock, delay=0.1):
    search(i, db_path, delay)
    # TODO: only one buyer at a time may buy; the search above stays outside the lock.
    # TODO: 同一时间只能有一个用户购买；上面的查询留在锁外。
    buy(i, db_path, delay)


# Do not change the signature. 不要修改函数签名。
def main(buyers=10, tickets=1, db_path=None, delay=0.1):
    temporary = db_path is None
    if temporary:
        fd, db_path = tempfile.mkstemp(suffix=".json")
        os.close(fd)
    save(db_path, tickets)
    lock = Lock()
    processes = [Process(target=task, args=(i, db_path, lock, delay)) for i in range(1, buyers + 1)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    left = load(db_path)
    if temporary:
        os.remove(db_path)
    return left


if __name__ == "__main__":
    main()
