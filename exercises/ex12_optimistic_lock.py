"""Exercise 12: the optimistic lock (乐观锁).

Same table as exercise 11, but an optimistic buyer holds no lock while it thinks: it remembers
the version it read, and its UPDATE changes the row only if nobody wrote in between
(... WHERE id = 1 AND version = ?). If no row changed, someone else bought first: it prints
用户{i}重试 and goes round again, reading count and version afresh. Right now buy writes the
count it read minus one, with no version check and no retry, so buyers who read together all
write the same count and the tickets are oversold. Rules as in exercise 11: sqlite3.connect with
its default timeout, no transaction held while thinking (isolation_level=None: each statement
commits at once).

表和练习 11 相同，但乐观锁的买家思考时不持有任何锁：它记住读到的版本号，UPDATE 只在这期间没人
写过时才修改这一行（... WHERE id = 1 AND version = ?）。如果没有行被修改，说明别人先买了：打印
用户{i}重试，然后重新读取票数和版本号再来一次。现在 buy 写回读到的票数减一，既不检查版本也不重试，
于是同时读的买家写回同一个票数，票被超卖。规则同练习 11：sqlite3.connect 保留默认 timeout，
思考时不持有事务（isolation_level=None：每条语句立即提交）。

Run the lesson's demo:  python exercises/ex12_optimistic_lock.py
Grade this exercise:    nox -s grade -- 12
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
def buy(i, db_path, delay=0.1):
    # TODO: write only if the version is still the one you read (AND version = ?, and add 1 to
    # it); if no row changed, print 用户{i}重试 and go round again, reading count and version.
    # TODO: 只有版本号仍是读到的那个时才写（AND version = ?，并把版本号加 1）；如果没有行被修改，
    # 打印 用户{i}重试，重新读取票数和版本号再来一次。
    with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        row = conn.execute("SELECT count, version FROM tickets WHERE id = 1").fetchone()
        count = row[0]  # row[1] is the version 版本号
        if count <= 0:
            print(f"用户{i}抢票失败")
            return False
        time.sleep(delay)  # thinking, no lock held 不持锁思考
        conn.execute("UPDATE tickets SET count = ? WHERE id = 1", (count - 1,))
        print(f"用户{i}抢票成功")
        return True


# Do not change the signature. 不要修改函数签名。
def task(i, db_path, delay=0.1):
    search(i, db_path, delay)
    buy(i, db_path, delay)


# Do not change the signature. 不要修改函数签名。
def main(buyers=10, tickets=3, db_path=None, delay=0.1):
    temporary = db_path is None
    if temporary:
        fd, db_path = tempfile.mkstemp(suffix=".db")
        os.close(fd)
    setup(db_path, tickets)
    processes = [Process(target=task, args=(i, db_path, delay)) for i in range(1, buyers + 1)]
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
