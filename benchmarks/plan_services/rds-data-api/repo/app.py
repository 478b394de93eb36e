from db import Db

if __name__ == "__main__":
    db = Db()
    db.insert_many("INSERT INTO t (a) VALUES (:a)", [[{"name": "a", "value": {"longValue": 1}}]])
    print(db.query("SELECT count(*) FROM t"))
