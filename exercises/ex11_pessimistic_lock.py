"""Exercise 11: the pessimistic lock (悲观锁).

Exercise 02 again, on a real database: the tickets are a row of a sqlite3 table
tickets(id, count, version) in one file. No multiprocessing lock here: the database's own write
lock is the lock. A pessimistic buyer takes it before it reads (BEGIN IMMEDIATE) and holds it
while it thinks, until it commits. Right now buy reads the count in one statement and writes
count - 1 in another, each committed on its own, so buyers who read together all see the same
count and the tickets are oversold. Make buy take the write lock before reading. If fail, buy
raises before committing: the transaction must then roll back, as if that buyer never came.
Rules: sqlite3.connect (keep its default timeout=5.0: never timeout=0), isolation_level=None
with explicit BEGIN IMMEDIATE / COMMIT / ROLLBACK. Not isolation_level="IMMEDIATE" alone (Python
begins that transaction only before the UPDATE, after your read), not autocommit=False.

练习 02 的数据库版：票数是 sqlite3 表 tickets(id, count, version) 中的一行。这里不用
multiprocessing 的锁：数据库自己的写锁就是锁。悲观锁的买家在读之前就拿到写锁
（BEGIN IMMEDIATE），思考时一直持有，直到提交。现在 buy 用一条语句读票数、再用另一条语句写回
票数减一，各自单独提交，于是同时读的买家看到同一个票数，票被超卖。请让 buy 在读之前拿到写锁。
如果 fail 为真，buy 在提交前抛出异常：事务必须回滚，就像这个买家从没来过。规则：使用
sqlite3.connect（保留默认的 timeout=5.0，不要 timeout=0），isolation_level=None，显式地
BEGIN IMMEDIATE / COMMIT / ROLLBACK。不要只写 isolation_level="IMMEDIATE"（Python 要到 UPDATE
之前才开始事务，已在读之后），也不要用 autocommit=False。

Run the lesson's demo:  python exercises/ex11_pessimistic_lock.py
Grade this exercise:    nox -s grade -- 11
"""

import contextlib
import os
import sqlite3
import tempfile
import time
from multiprocessing import Process


# Given: creates (or empties) the table with the row (1, tickets, 0). 已给出：建表并写入一行。
def setup(db_path, tickets):
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS tickets "
            "(id INTEGER PRIMARY KEY, count INTEGER NOT NULL, version INTEGER NOT NULL)"
        )
        conn.execute("DELETE FROM tickets")
        conn.execute("INSERT INTO tickets (id, count, version) VALUES (1, ?, 0)", (tickets,))


# Do not change the signature or the printed line. 不要修改函数签名和打印内容。
def search(i, db_path, delay=0.1):
    time.sleep(delay)  # the network 模拟网络延迟
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        (count,) = conn.execute("SELECT count FROM tickets WHERE id = 1").fetchone()
    print(f"用户{i}查询余票: {count}")
    return count


# Do not change the signature or the printed lines. 不要修改函数签名和打印内容。
def buy(i, db_path, delay=0.1, fail=False):
    # TODO: take the write lock before reading (BEGIN IMMEDIATE), hold it while thinking, then
    # COMMIT; if fail, ROLLBACK and raise. Each statement below commits on its own.
    # TODO: 读之前先拿写锁（BEGIN IMMEDIATE），思考时持有，然后 COMMIT；fail 时 ROLLBACK 并抛出。
    with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        (count,) = conn.execute("SELECT count FROM tickets WHERE id = 1").fetchone()
        time.sleep(delay)  # thinking 思考
        if count > 0:
            conn.execute("UPDATE tickets SET count = ? WHERE id = 1", (count - 1,))
        if fail:
            raise RuntimeError(f"用户{i} failed before committing")
    print(f"用户{i}抢票成功" if count > 0 else f"用户{i}抢票失败")
    return count > 0


# Do not change the signature. 不要修改函数签名。
def task(i, db_path, delay=0.1, fail=False):
    search(i, db_path, delay)
    buy(i, db_path, delay, fail)


# Do not change the signature. 不要修改函数签名。
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
