import uuid

from config import settings
from database import s3, table
from fastapi import FastAPI, HTTPException, UploadFile

app = FastAPI()


@app.get("/exams/{exam_id}")
def get_exam(exam_id: str):
    found = table.get_item(Key={"exam_id": exam_id})
    if "Item" not in found:
        raise HTTPException(404)
    return found["Item"]


@app.get("/exams")
def by_patient(patient_id: str):
    return table.scan(FilterExpression="patient_id = :p", ExpressionAttributeValues={":p": patient_id})["Items"]


@app.post("/exams")
def create(patient_id: str, file: UploadFile):
    exam_id = str(uuid.uuid4())
    s3.upload_fileobj(file.file, settings.images_bucket, f"exams/{exam_id}/{file.filename}")
    table.put_item(Item={"exam_id": exam_id, "patient_id": patient_id})
    return {"id": exam_id}


@app.delete("/exams/{exam_id}")
def delete(exam_id: str):
    table.delete_item(Key={"exam_id": exam_id}, ConditionExpression="attribute_exists(exam_id)")
