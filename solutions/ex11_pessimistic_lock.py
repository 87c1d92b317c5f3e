"""Exercise 11: the pessimistic lock (悲观锁). Reference solution."""

import contextlib
import os
import sqlite3
import tempfile
import time
from multiprocessing import Process


def setup(db_path, tickets):
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS tickets "
            "(id INTEGER PRIMARY KEY, count INTEGER NOT NULL, version INTEGER NOT NULL)"
        )
        conn.execute("DELETE FROM tickets")
        conn.execute("INSERT INTO tickets (id, count, version) VALUES (1, ?, 0)", (tickets,))


def search(i, db_path, delay=0.1):
    time.sleep(delay)  # the network 模拟网络延迟
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        (count,) = conn.execute("SELECT count FROM tickets WHERE id = 1").fetchone()
    print(f"用户{i}查询余票: {count}")
    return count


def buy(i, db_path, delay=0.1, fail=False):
    with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")  # the write lock, taken before reading
        try:
            (count,) = conn.execute("SELECT count FROM tickets WHERE id = 1").fetchone()
            time.sleep(delay)  # thinking, the lock held 持锁思考
            if count > 0:
                conn.execute("UPDATE tickets SET count = ? WHERE id = 1", (count - 1,))
            if fail:
                raise RuntimeError(f"用户{i} failed before committing")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    print(f"用户{i}抢票成功" if count > 0 else f"用户{i}抢票失败")
    return count > 0


def task(i, db_path, delay=0.1, fail=False):
    search(i, db_path, delay)
    buy(i, db_path, delay, fail)


def main(buyers=10, tickets=1, db_path=None, delay=0.1, fail=None):
    temporary = db_path is None
    if temporary:
        fd, db_path = tempfile.mkstemp(suffix=".db")
        os.close(fd)
    setup(db_path, tickets)
    processes = [
        Process(target=task, args=(i, db_path, delay, i == fail)) for i in range(1, buyers + 1)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        (left,) = conn.execute("SELECT count FROM tickets WHERE id = 1").fetchone()
    if temporary:
        os.remove(db_path)
    return left


if __name__ == "__main__":
    main()
