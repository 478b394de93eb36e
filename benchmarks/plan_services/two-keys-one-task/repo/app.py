from jobs import done, next_job
from storage import save

for message in next_job():
    save(message["MessageId"], message["Body"].encode())
    done(message)
