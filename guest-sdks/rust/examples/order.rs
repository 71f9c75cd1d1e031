//! order: the order-submitted event. In:
//!   {"orderId": "A-1001", "items": [{"sku": "tea", "quantity": 2, "priceCents": 450}, …]}
//! Out: {"orderId":"A-1001","lines":2,"quantity":3,"totalCents":1250,"status":"accepted"}
//! Logs as it goes; a missing orderId or a malformed item is a guest error naming it.
use kiln::json::Value;
use kiln::Event;

fn handle(event: Event) -> kiln::Result<Value> {
    let order = event.json()?;
    let id = match order["orderId"].as_str() {
        Some(id) if !id.is_empty() => id,
        _ => kiln::bail!("missing orderId"),
    };
    let items = match order["items"].as_array() {
        Some(items) => items,
        None => kiln::bail!("order {}: items must be an array", id),
    };
    kiln::info!("order received {} with {} items", id, items.len());

    let (mut quantity, mut total_cents) = (0i64, 0i64);
    for (i, item) in items.iter().enumerate() {
        let sku = match item["sku"].as_str() {
            Some(sku) => sku,
            None => kiln::bail!("order {}: item {} has no sku", id, i),
        };
        let q = item["quantity"].as_i64().unwrap_or(1);
        let price = item["priceCents"].as_i64().unwrap_or(0);
        if q < 1 || price < 0 {
            kiln::bail!(
                "order {}: item {} ({}) has a bad quantity or price",
                id,
                i,
                sku
            );
        }
        kiln::debug!("item {}: {} x {} at {} cents", i, q, sku, price);
        quantity += q;
        total_cents += q * price;
    }
    kiln::info!(
        "order {} accepted: {} units, {} cents",
        id,
        quantity,
        total_cents
    );

    Ok(Value::object([
        ("orderId", Value::from(id)),
        ("lines", Value::from(items.len())),
        ("quantity", Value::from(quantity)),
        ("totalCents", Value::from(total_cents)),
        ("status", Value::from("accepted")),
    ]))
}

kiln::event_handler!(handle);
