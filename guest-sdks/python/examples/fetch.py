# fetch: fetches a JSON document from another service and transforms it (outbound HTTP through
# kiln.fetch). The URL comes from the function's SOURCE_URL setting, or the event's text; the
# function's allowedOutboundHosts must allow it. Out:
#   {"source": URL, "status": 200, "keys": ["a", "b", ...]}: the top-level keys of the document.
# A denied or failed call raises kiln.KilnError ("fetch GET URL: denied (-6)").
import kiln


def handler(event, context):
    url = kiln.config("SOURCE_URL") or event.decode().strip()
    res = kiln.fetch(url)
    if res.status != 200:
        raise RuntimeError(f"{url} answered {res.status}")
    doc = res.json()
    if not isinstance(doc, dict):
        raise RuntimeError(f"{url} did not answer a JSON object")
    return {"source": url, "status": res.status, "keys": list(doc)}
