//! fetch: fetches a JSON document from another service and transforms it. The URL comes from
//! the function's `SOURCE_URL` setting, or the event's text; the function's
//! `allowedOutboundHosts` must allow it. Out:
//!   {"source": URL, "status": 200, "keys": ["a", "b", …]} — the top-level keys of the document.
use kiln::json::Value;
use kiln::Event;

fn handle(event: Event) -> kiln::Result<Value> {
    let url = match kiln::config::get("SOURCE_URL") {
        Some(url) => url,
        None => event.text()?.trim().to_string(),
    };
    let res = kiln::outbound::get(&url)?;
    if res.status != 200 {
        kiln::bail!("{} answered {}", url, res.status);
    }
    let keys = match res.json()? {
        Value::Object(members) => members.into_iter().map(|(k, _)| Value::from(k)).collect(),
        _ => kiln::bail!("{} did not answer a JSON object", url),
    };
    Ok(Value::object([
        ("source", Value::from(url)),
        ("status", Value::from(res.status as i64)),
        ("keys", Value::Array(keys)),
    ]))
}

kiln::event_handler!(handle);
