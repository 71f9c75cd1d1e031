//! webhook: the order-submitted event, kept in the key-value store and acknowledged to a webhook
//! (kiln::kv, ABI.md 4.12, and kiln::outbound, 4.13). In: the order event, {"orderId": "A-1001", …}.
//!   1. Stores the event under `order:{orderId}` if that key is new (compare-and-swap, so a
//!      redelivered event never overwrites the first).
//!   2. Unless `ack:{orderId}` says it was acknowledged before, POSTs
//!      {"orderId":"A-1001","status":"received"} to the URL in the WEBHOOK_URL setting (which the
//!      function's allowedOutboundHosts must allow) and keeps the answer's status under
//!      `ack:{orderId}` for 7 days.
//! Out: {"orderId":"A-1001","stored":"order:A-1001","acknowledged":204,"duplicate":false}
//! (duplicate: acknowledged before, nothing posted). A missing orderId or WEBHOOK_URL, a store
//! error (`kv: …`), a failed request (`webhook: denied by allowedOutboundHosts (-6)`) or an
//! answer other than 2xx (`webhook answered 500`) is a guest error, so an asynchronous event is
//! retried.
use kiln::json::Value;
use kiln::kv::{self, KvError};
use kiln::Event;

const ACK_TTL_MS: u64 = 7 * 24 * 3600 * 1000;

fn handle(event: Event) -> kiln::Result<Value> {
    let order = event.json()?;
    let id = match order.get("orderId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => kiln::bail!("missing orderId"),
    };
    let url = match kiln::config::get("WEBHOOK_URL") {
        Some(url) => url,
        None => kiln::bail!("WEBHOOK_URL is not set"),
    };

    let order_key = format!("order:{}", id);
    match kv::compare_and_swap(&order_key, None, event.bytes()) {
        Ok(()) | Err(KvError::Conflict) => {}
        Err(e) => kiln::bail!("kv: {}", e),
    }

    let ack_key = format!("ack:{}", id);
    let ack = kv::get(&ack_key).map_err(|e| kiln::Error::new(format!("kv: {}", e)))?;
    let duplicate = ack.is_some();
    let status = match ack {
        Some(status) => String::from_utf8_lossy(&status).parse::<i64>().unwrap_or(0),
        None => {
            let body = Value::object([
                ("orderId", Value::from(id.as_str())),
                ("status", Value::from("received")),
            ]);
            let res = kiln::outbound::post(&url, "application/json", body.to_string())
                .map_err(|e| kiln::Error::new(format!("webhook: {}", e)))?;
            if !(200..=299).contains(&res.status) {
                kiln::bail!("webhook answered {}", res.status);
            }
            kv::set_with_ttl(&ack_key, res.status.to_string(), ACK_TTL_MS)
                .map_err(|e| kiln::Error::new(format!("kv: {}", e)))?;
            res.status as i64
        }
    };
    Ok(Value::object([
        ("orderId", Value::from(id)),
        ("stored", Value::from(order_key)),
        ("acknowledged", Value::from(status)),
        ("duplicate", Value::from(duplicate)),
    ]))
}

kiln::event_handler!(handle);
