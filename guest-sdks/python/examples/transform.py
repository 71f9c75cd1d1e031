# transform: reshapes a JSON document. In: {"users": [{"first": "Ada", "last": "Lovelace",
# "email": "ADA@Example.org", "active": true}, ...]}
# Out: {"count": 1, "users": [{"name": "Ada Lovelace", "email": "ada@example.org"}]}: active
# users only, sorted by name, emails lower-cased. Over HTTP it answers with a status and
# headers; a body that is not such a document is a 400 the function chooses, not an error.
import json


def handler(event, context):
    try:
        doc = json.loads(event)
    except ValueError as e:
        return {"statusCode": 400, "headers": {"content-type": "text/plain"},
                "body": f"not JSON: {e}\n"}
    if not isinstance(doc, dict) or not isinstance(doc.get("users"), list):
        return {"statusCode": 400, "headers": {"content-type": "text/plain"},
                "body": 'expected {"users": [...]}\n'}
    users = sorted(
        ({"name": f"{u.get('first', '')} {u.get('last', '')}".strip(),
          "email": str(u.get("email", "")).lower()}
         for u in doc["users"] if u.get("active") is not False),
        key=lambda u: u["name"])
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-transform": "users-v1"},
        "body": {"count": len(users), "users": users},
    }
