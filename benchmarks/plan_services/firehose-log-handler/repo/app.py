import logging

from logship import FirehoseHandler

log = logging.getLogger("orders")
log.addHandler(FirehoseHandler("orders-app-logs"))
log.setLevel(logging.INFO)

if __name__ == "__main__":
    log.info("started")
