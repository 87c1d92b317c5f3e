"""Exercise 02: ticket grabbing (抢票). Reference solution."""

import json
import os
import tempfile
import time
from multiprocessing import Lock, Process


def load(db_path):
    with open(db_path, encoding="utf-8") as file:
        return json.load(file)["count"]


def save(db_path, count):
    folder = os.path.dirname(os.path.abspath(db_path))
    fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump({"count": count}, file)
    os.replace(temporary, db_path)


def search(i, db_path, delay=0.1):
    time.sleep(delay)  # the network 模拟网络延迟
    count = load(db_path)
    print(f"用户{i}查询余票: {count}")
    return count


def buy(i, db_path, delay=0.1):
    count = load(db_path)
    time.sleep(delay)  # the network 模拟网络延迟
    if count > 0:
        save(db_path, count - 1)
        print(f"用户{i}抢票成功")
        return True
    print(f"用户{i}抢票失败")
    return False


def task(i, db_path, lock, delay=0.1):
    search(i, db_path, delay)  # anyone may look at the same time
    with lock:  # reading the count and writing it back: one buyer at a time
        buy(i, db_path, delay)


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
